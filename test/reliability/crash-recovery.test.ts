/**
 * Issue 9, item 5, with real processes: the node killed with SIGKILL in the middle of a job, and in
 * the middle of a delivery. After the restart the job and the delivery finish within 30 s, exactly
 * once: one complete derived series in the PACS, nothing acknowledged lost.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { freePort, runDcmtk } from '../helpers/dcmtk.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';
import { recordTally } from './tally.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');

interface JobView {
  id: string;
  state: string;
  attempts: number;
  steps: { state: string }[];
  deliveries: { state: string; attempts: number; instancesSent: number }[];
}

let orthanc: OrthancProcess;
let node: NodeProcess | undefined;
let proxy: net.Server | undefined;

afterEach(async () => {
  await node?.stop();
  if (node) await dropSchemas(node.schema, `${node.schema}_queue`);
  node = undefined;
  await orthanc?.stop();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  proxy = undefined;
});

async function jobs(): Promise<JobView[]> {
  return ((await (await node!.api('/api/jobs')).json()) as { jobs: JobView[] }).jobs;
}

async function derivedInOrthanc(): Promise<{ Instances: string[] }[]> {
  return orthanc.get('/series?expand');
}

/** One rule only: a trained model step on the sharp series (tens of seconds on this CPU), so there is a middle to kill in. */
async function slowRules(dir: string): Promise<string> {
  const file = path.join(dir, 'rules.json');
  await writeFile(
    file,
    JSON.stringify({
      rules: [
        {
          id: 'harmonize-with-model',
          name: 'Harmonize with the trained model (slow enough to be killed in the middle)',
          enabled: true,
          priority: 100,
          match: { modality: 'CT', convolutionKernel: { family: ['sharp'] } },
          steps: [{ kind: 'model', options: { model: 'harmonize-v2-fold1' } }],
          destinations: ['pacs'],
        },
      ],
    }),
  );
  return file;
}

/** A TCP relay that passes each chunk on after `delayMs`: a slow link to the PACS, so a delivery has a middle. */
async function slowRelay(targetPort: number, delayMs: number): Promise<number> {
  const port = await freePort();
  proxy = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const relay = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        from.pause();
        setTimeout(() => {
          to.write(chunk, () => from.resume());
        }, delayMs);
      });
    relay(client, upstream);
    relay(upstream, client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => proxy!.listen(port, '127.0.0.1', resolve));
  return port;
}

async function start(config: Record<string, unknown>): Promise<NodeProcess> {
  return startNodeProcess({ config: { completion: { quietSeconds: 1, checkIntervalMs: 200 }, ...config } });
}

async function send(): Promise<void> {
  const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'SCANNER', '+sd', '127.0.0.1', String(node!.dicomPort), SERIES]);
  if (sent.code !== 0) throw new Error(`storescu: ${sent.stderr}`);
}

describe('crash recovery (issue 9)', () => {
  it('[fault] SIGKILL in the middle of a job: after the restart the job is taken up again within 30 s and finishes, exactly once', async () => {
    orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort: 1 });
    node = await start({
      rulesFile: await slowRules(await mkdtemp(path.join(os.tmpdir(), 'ctprep-rules-'))),
      destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } },
    });
    await send();
    await waitFor('the job to be in its model step', async () => (await jobs())[0]?.steps[0]?.state === 'running', { timeoutMs: 60_000, intervalMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // some slabs done
    await node.kill('SIGKILL');
    await node.restart();
    const restarted = Date.now();
    const [done] = await waitFor('the job to finish after the restart', async () => {
      const list = await jobs();
      return list.length === 1 && list[0].state === 'done' && list;
    }, { timeoutMs: 150_000, intervalMs: 500 });
    expect(done.attempts).toBe(2);
    expect(done.deliveries).toEqual([expect.objectContaining({ state: 'done', instancesSent: 30 })]);
    const series = await derivedInOrthanc();
    expect(series.map((s) => s.Instances.length)).toEqual([30]);
    // Taken up within the stale time (10 s) after the restart: the job ran its 30 slices again in the rest.
    const log = await node.log();
    const requeued = log.split('\n').filter((line) => line.includes('queued again what workers that stopped answering held'));
    expect(requeued.length).toBeGreaterThanOrEqual(1);
    const requeuedAt = JSON.parse(requeued.at(-1)!).time as number;
    expect(requeuedAt - restarted).toBeLessThan(30_000);
    await recordTally({ case: 'SIGKILL mid-job', instancesLost: 30 - series[0].Instances.length, wrongImagesDelivered: series.length - 1 });
  }, 300_000);

  it('[fault] SIGKILL in the middle of a delivery: after the restart the delivery finishes within 30 s, exactly once', async () => {
    orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort: 1 });
    const relayPort = await slowRelay(orthanc.dicomPort, 20);
    node = await start({ destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: relayPort } } });
    await send();
    await waitFor('some derived instances in Orthanc, the delivery still sending', async () => {
      const [job] = await jobs();
      const held = (await derivedInOrthanc())[0]?.Instances.length ?? 0;
      return job?.deliveries[0]?.state === 'sending' && held >= 3 && held < 30;
    }, { timeoutMs: 90_000, intervalMs: 100 });
    await node.kill('SIGKILL');
    await node.restart();
    const restarted = Date.now();
    const [done] = await waitFor('the delivery to finish after the restart', async () => {
      const list = await jobs();
      return list[0]?.state === 'done' && list;
    }, { timeoutMs: 120_000, intervalMs: 300 });
    expect(Date.now() - restarted).toBeLessThan(30_000);
    expect(done.deliveries).toEqual([expect.objectContaining({ state: 'done', instancesSent: 30, attempts: 2 })]);
    const series = await derivedInOrthanc();
    expect(series.map((s) => s.Instances.length)).toEqual([30]);
    await recordTally({ case: 'SIGKILL mid-delivery', instancesLost: 30 - series[0].Instances.length, wrongImagesDelivered: series.length - 1 });
  }, 300_000);
});
