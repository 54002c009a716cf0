/**
 * Issue 11, item 7, across processes: a destination made and then changed through the node's API
 * (`ctprep start --no-workers`) is what a separate `ctprep worker` delivers to, at once: the
 * destinations live in the database, not in each process's configuration. One deleted while a
 * delivery to it waits for a retry fails that delivery at its next attempt, saying so.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, runDcmtk, startDcmtkServer, type RunningServer } from '../helpers/dcmtk.js';
import { receivingNodeArgs, startNodeProcess, workerArgs, workerNodeFlags, type NodeProcess } from '../helpers/node-process.js';
import { dropSchemas } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');

let node: NodeProcess | undefined;
let worker: NodeProcess | undefined;
const receivers: RunningServer[] = [];

beforeAll(async () => {
  const rulesFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'ctprep-rules-')), 'rules.json');
  await writeFile(rulesFile, JSON.stringify({ rules: [] }));
  const config = { rulesFile, jobs: { retryLimit: 1, retryDelaySeconds: 1, heartbeatSeconds: 1, staleAfterSeconds: 4 }, delivery: { retryDelaySeconds: 1 } };
  node = await startNodeProcess({ args: receivingNodeArgs, config });
  worker = await startNodeProcess({ args: workerArgs, nodeFlags: workerNodeFlags, shareWith: node, config });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await node?.stop();
  if (node) await dropSchemas(node.schema, `${node.schema}_queue`);
  await Promise.all(receivers.map((receiver) => receiver.stop()));
});

async function receiver(): Promise<{ port: number; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-receiver-'));
  const server = await startDcmtkServer('storescp', (port) => ['-od', dir, '-aet', 'RESEARCH', String(port)]);
  receivers.push(server);
  return { port: server.port, dir };
}

async function call(route: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const response = await node!.api(route, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function jobsDone(count: number): Promise<void> {
  await waitFor(`${count} jobs done`, async () => {
    const { jobs } = (await call('/api/jobs')).body as { jobs: { state: string }[] };
    return jobs.length === count && jobs.every((job) => job.state === 'done' || job.state === 'superseded');
  }, { timeoutMs: 180_000, intervalMs: 500 });
}

it('a destination made and changed through the API is the one a worker process delivers to', async () => {
  const [first, second] = [await receiver(), await receiver()];

  const created = await call('/api/destinations', 'POST', { name: 'research', aeTitle: 'RESEARCH', host: '127.0.0.1', port: first.port });
  expect(created.status).toBe(201);
  const rule = { id: 'soften-to-research', name: 'Soften sharp CT for research', match: { modality: 'CT', convolutionKernel: { family: ['sharp'] } }, steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 0.6 } }], destinations: ['research'] };
  expect((await call('/api/rules/soften-to-research', 'PUT', rule)).status).toBe(201);

  const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'SCANNER', '+sd', '127.0.0.1', String(node!.dicomPort), SERIES], { timeoutMs: 120_000 });
  expect(sent.code).toBe(0);
  await jobsDone(1);
  expect(await readdir(first.dir)).toHaveLength(30);

  const moved = await call('/api/destinations/research', 'PUT', { aeTitle: 'RESEARCH', host: '127.0.0.1', port: second.port, version: 1 });
  expect(moved.body).toMatchObject({ port: second.port, version: 2 });
  const { series } = (await call('/api/series')).body as { series: { seriesInstanceUid: string }[] };
  expect((await call(`/api/series/${series[0].seriesInstanceUid}/route-again`, 'POST')).status).toBe(202);
  await jobsDone(2);
  expect(await readdir(second.dir)).toHaveLength(30);
  expect(await readdir(first.dir)).toHaveLength(30);
}, 300_000);

interface JobView { state: string; error: string | null; deliveries: { destination: string; state: string; attempts: number; lastError: string | null }[] }

it('a delivery waiting to retry a destination deleted meanwhile fails at its next attempt, naming it', async () => {
  expect((await call('/api/destinations', 'POST', { name: 'closing', aeTitle: 'CLOSING', host: '127.0.0.1', port: await freePort() })).status).toBe(201);
  const rule = (await call('/api/rules/soften-to-research')).body as { version: number };
  const toClosing = await call('/api/rules/soften-to-research', 'PUT', { ...rule, destinations: ['closing'] });
  expect(toClosing.status).toBe(200);
  const { series } = (await call('/api/series')).body as { series: { seriesInstanceUid: string }[] };
  expect((await call(`/api/series/${series[0].seriesInstanceUid}/route-again`, 'POST')).status).toBe(202);
  const newest = async (): Promise<JobView> => ((await call('/api/jobs')).body as { jobs: JobView[] }).jobs[0];
  await waitFor('a refused delivery to closing', async () => {
    const delivery = (await newest()).deliveries[0];
    return delivery?.destination === 'closing' && delivery.attempts >= 1 && delivery.lastError !== null;
  }, { timeoutMs: 180_000, intervalMs: 500 });

  expect((await call('/api/destinations/closing', 'DELETE')).body.error.message).toContain('soften-to-research');
  const disabled = await call('/api/rules/soften-to-research', 'PUT', { ...toClosing.body, enabled: false });
  expect(disabled.status).toBe(200);
  expect((await call('/api/destinations/closing', 'DELETE')).status).toBe(204);

  const failed = await waitFor('the delivery to fail', async () => {
    const job = await newest();
    return job.deliveries[0].state === 'failed' ? job : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  expect(failed.deliveries[0].lastError).toBe("destination 'closing' does not exist (deleted, or no longer configured)");
  expect(failed.state).toBe('failed');
  expect(failed.error).toContain('delivery to closing failed');
}, 300_000);
