/**
 * Issue 12, item 1, with real processes: a receiving node (`ctprep start --no-workers`) and
 * `ctprep worker` processes on one PostgreSQL queue and one data folder. Every job runs exactly
 * once and each derived series is delivered once; a worker killed with SIGKILL in the middle of a
 * job leaves it to another, which finishes it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { copySeriesUnderNewUids } from '../helpers/copy-series.js';
import { ctprep } from '../helpers/ctprep.js';
import { runDcmtk } from '../helpers/dcmtk.js';
import { receivingNodeArgs, startNodeProcess, workerArgs, workerNodeFlags, type NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const SLICES = 30;

interface JobView {
  id: string;
  state: string;
  attempts: number;
  worker: string | null;
  steps: { state: string }[];
  deliveries: { state: string; attempts: number; instancesSent: number }[];
}

let orthanc: OrthancProcess | undefined;
let node: NodeProcess | undefined;
let workers: NodeProcess[] = [];

afterEach(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await node?.stop();
  if (node) await dropSchemas(node.schema, `${node.schema}_queue`);
  await orthanc?.stop();
  [node, orthanc, workers] = [undefined, undefined, []];
});

async function jobs(): Promise<JobView[]> {
  return ((await (await node!.api('/api/jobs')).json()) as { jobs: JobView[] }).jobs;
}

/** The pid in a worker id (host/pid/random, see node/start-processing.ts). */
function pidOf(workerId: string | null): number | undefined {
  return workerId ? Number(workerId.split('/').at(-2)) : undefined;
}

/** One rule for the sharp series: the given step, delivered to 'pacs'. */
async function rulesWith(step: Record<string, unknown>): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ctprep-rules-')), 'rules.json');
  const rule = { id: 'soften-sharp', name: 'Soften sharp CT', enabled: true, priority: 100, match: { modality: 'CT', convolutionKernel: { family: ['sharp'] } }, steps: [step], destinations: ['pacs'] };
  await writeFile(file, JSON.stringify({ rules: [rule] }));
  return file;
}

/** The node without workers, then `count` workers sharing its database schema and data folder. */
async function startCluster(count: number, rulesFile: string): Promise<void> {
  orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort: 1 });
  const config = {
    rulesFile,
    destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } },
    jobs: { retryLimit: 1, retryDelaySeconds: 1, concurrency: 1, heartbeatSeconds: 1, staleAfterSeconds: 4 },
    inference: { modelsDir: path.join(process.cwd(), 'models'), threads: 1 },
  };
  node = await startNodeProcess({ args: receivingNodeArgs, config });
  workers = await Promise.all(Array.from({ length: count }, () => startNodeProcess({ args: workerArgs, nodeFlags: workerNodeFlags, shareWith: node!, config })));
}

async function send(folder: string): Promise<void> {
  const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'SCANNER', '+sd', '+r', '127.0.0.1', String(node!.dicomPort), folder], { timeoutMs: 120_000 });
  if (sent.code !== 0) throw new Error(`storescu: ${sent.stderr}`);
}

describe('workers as their own processes (issue 12)', () => {
  it('a worker, or a node without workers, on the embedded database is refused, saying why', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-worker-'));
    const configFile = path.join(dir, 'node.json');
    await writeFile(configFile, JSON.stringify({ dataDir: path.join(dir, 'data') }));
    const worker = await ctprep(workerArgs(configFile));
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain('a worker needs the PostgreSQL database of its node');
    const receiving = await ctprep(receivingNodeArgs(configFile));
    expect(receiving.code).toBe(1);
    expect(receiving.stderr).toContain('--no-workers needs PostgreSQL');
  });

  it('three workers on one queue: six series, each job run once by one of them, each derived series delivered once', async () => {
    await startCluster(3, await rulesWith({ kind: 'gaussian-soften', options: { sigmaMm: 0.6 } }));
    const batch = await mkdtemp(path.join(os.tmpdir(), 'ctprep-batch-'));
    for (let i = 0; i < 6; i++) await copySeriesUnderNewUids(SERIES, path.join(batch, `series-${i}`));
    await send(batch);

    const done = await waitFor('six jobs done', async () => {
      const list = await jobs();
      return list.length === 6 && list.every((job) => job.state === 'done') && list;
    }, { timeoutMs: 240_000, intervalMs: 500 });
    const workerPids = new Set(workers.map((worker) => worker.pid));
    for (const job of done) {
      expect(job.attempts).toBe(1);
      expect(workerPids.has(pidOf(job.worker))).toBe(true); // a worker ran it, never the receiving node
      expect(job.deliveries).toEqual([expect.objectContaining({ state: 'done', attempts: 1, instancesSent: SLICES })]);
    }
    expect(new Set(done.map((job) => job.worker)).size).toBeGreaterThan(1); // the queue shared them out
    const derived = await orthanc!.get<{ Instances: string[] }[]>('/series?expand');
    expect(derived.map((series) => series.Instances.length)).toEqual(Array(6).fill(SLICES));
  }, 400_000);

  it('[fault] a worker killed with SIGKILL in the middle of a job: another takes it up and finishes it, once', async () => {
    await startCluster(2, await rulesWith({ kind: 'model', options: { model: 'harmonize-v2-fold1' } }));
    await send(SERIES);
    const [running] = await waitFor('the job to be in its model step', async () => {
      const list = await jobs();
      return list[0]?.steps[0]?.state === 'running' && list[0].worker !== null && list;
    }, { timeoutMs: 120_000, intervalMs: 200 });
    const holder = workers.find((worker) => worker.pid === pidOf(running.worker))!;
    expect(holder).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2000)); // some slabs done
    await holder.kill('SIGKILL');
    const survivor = workers.find((worker) => worker !== holder)!;

    const [done] = await waitFor('the job to finish on the other worker', async () => {
      const list = await jobs();
      return list.length === 1 && list[0].state === 'done' && list;
    }, { timeoutMs: 300_000, intervalMs: 500 });
    expect(done.attempts).toBe(2);
    expect(pidOf(done.worker)).toBe(survivor.pid);
    expect(done.deliveries).toEqual([expect.objectContaining({ state: 'done', instancesSent: SLICES })]);
    const derived = await orthanc!.get<{ Instances: string[] }[]>('/series?expand');
    expect(derived.map((series) => series.Instances.length)).toEqual([SLICES]);
    expect(await survivor.log()).toContain('queued again what workers that stopped answering held');
  }, 500_000);
});
