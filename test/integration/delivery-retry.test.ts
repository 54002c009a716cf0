/**
 * A PACS that is down when the derived series is ready: the delivery is kept, retried with backoff
 * and shows its last error; once the PACS is up the series arrives complete. Real PostgreSQL, the
 * real node, dcmtk's storescu and storescp.
 */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/log.js';
import { startNode, type RunningNode } from '../../src/node/start-node.js';
import { freePort, runDcmtk, startDcmtkServer, type RunningServer } from '../helpers/dcmtk.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';

const seriesDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const schema = uniqueSchema('delivery');
let node: RunningNode;
let pacs: RunningServer | undefined;
let pacsPort: number;
let workDir: string;

interface DeliveryRow {
  state: string;
  attempts: number;
  last_error: string | null;
  instances_sent: number;
  job_state: string;
}

async function delivery(): Promise<DeliveryRow | undefined> {
  const { rows } = await node.db.query<DeliveryRow>(
    'SELECT d.state, d.attempts, d.last_error, d.instances_sent, j.state AS job_state FROM deliveries d JOIN jobs j ON j.id = d.job_id',
  );
  return rows[0];
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-delivery-'));
  pacsPort = await freePort();
  const config = parseConfig({
    dicom: { port: 0, callers: [{ aeTitle: 'STORESCU' }] },
    api: { port: 0 },
    dataDir: path.join(workDir, 'node'),
    databaseUrl: testDatabaseUrl,
    databaseSchema: schema,
    completion: { quietSeconds: 0.5, checkIntervalMs: 100 },
    rulesFile: path.resolve('config/rules.json'),
    destinations: { pacs: { aeTitle: 'DOWNPACS', host: '127.0.0.1', port: pacsPort } },
    delivery: { retryLimit: 8, retryDelaySeconds: 1, timeoutMs: 5000 },
  });
  node = await startNode(config, { log: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  await pacs?.stop();
  await dropSchemas(schema, `${schema}_queue`);
});

it('keeps retrying while the PACS is down and delivers every instance once it is up', async () => {
  const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '+sd', '127.0.0.1', String(node.dicomPort), seriesDir]);
  expect(sent.code).toBe(0);

  const failing = await waitFor('a failed delivery attempt', async () => {
    const row = await delivery();
    return row && row.attempts >= 1 && row.last_error ? row : undefined;
  }, { timeoutMs: 90_000 });
  expect(failing.state).not.toBe('done');
  expect(failing.job_state).toBe('delivering');
  expect(failing.last_error).toMatch(new RegExp(`127\\.0\\.0\\.1:${pacsPort}`));

  const received = path.join(workDir, 'pacs');
  await mkdir(received);
  pacs = await startDcmtkServer('storescp', (port) => ['-od', received, '-aet', 'DOWNPACS', String(port)], pacsPort);

  const done = await waitFor('the delivery to succeed', async () => {
    const row = await delivery();
    return row?.state === 'done' ? row : undefined;
  }, { timeoutMs: 90_000 });
  expect(done.instances_sent).toBe(30);
  expect(done.job_state).toBe('done');
  expect(done.attempts).toBeGreaterThanOrEqual(2);
  expect(await readdir(received)).toHaveLength(30);
});
