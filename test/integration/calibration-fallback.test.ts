/**
 * The usual order of a natural pair in the running node: the sharp series completes first, and
 * with no calibration of its scanner yet the rule's fallback harmonizes it and delivers that. When
 * its soft reconstruction arrives, the node calibrates on the pair and routes the sharp series
 * again, so that the site's calibrated transfer makes its derived series. Real PostgreSQL, the
 * real node, dcmtk's storescu and storescp.
 */
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readImageHeaders } from '../../src/dicom/file/image-headers.js';
import { silentLogger } from '../../src/log.js';
import { startNode, type RunningNode } from '../../src/node/start-node.js';
import { freePort, runDcmtk, startDcmtkServer, type RunningServer } from '../helpers/dcmtk.js';
import { dropSchemas, uniqueSchema } from '../helpers/test-database.js';
import { testNodeConfig } from '../helpers/test-node-config.js';
import { waitFor } from '../helpers/wait-for.js';

const data = path.resolve(process.cwd(), '../shared/data/ct');
const sharpDir = path.join(data, 'lung-pet-ct-dx-A0002-siemens-B70f');
const softDir = path.join(data, 'lung-pet-ct-dx-A0002-siemens-B40f');
const schema = uniqueSchema('calibration_fallback');
let node: RunningNode;
let pacs: RunningServer;
let received: string;

interface JobRow { id: string; series_generation: number; state: string; steps: { report?: Record<string, unknown> }[] }

async function jobs(): Promise<JobRow[]> {
  return (await node.db.query<JobRow>('SELECT id, series_generation, state, steps FROM jobs ORDER BY created_at')).rows;
}

beforeAll(async () => {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-calibration-fallback-'));
  received = path.join(workDir, 'pacs');
  await mkdir(received);
  const pacsPort = await freePort();
  pacs = await startDcmtkServer('storescp', (port) => ['-od', received, '-aet', 'PACS', String(port)], pacsPort);
  const rulesFile = path.join(workDir, 'rules.json');
  const fallback = { kind: 'gaussian-soften', options: { sigmaMm: 0.6 } };
  const rule = { id: 'harmonize', name: 'harmonize', match: { modality: 'CT', convolutionKernel: { family: ['sharp'] } }, steps: [{ kind: 'kernel-transfer', options: { fallback } }], destinations: ['pacs'] };
  await writeFile(rulesFile, JSON.stringify({ rules: [rule] }));
  const config = testNodeConfig(workDir, schema, {
    dicom: { callers: [{ aeTitle: 'STORESCU' }] },
    rulesFile,
    destinations: { pacs: { aeTitle: 'PACS', host: '127.0.0.1', port: pacsPort } },
  });
  node = await startNode(config, { log: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  await pacs?.stop();
  await dropSchemas(schema, `${schema}_queue`);
});

it('makes the sharp series again with the calibration of its own acquisition once its soft reconstruction arrives', async () => {
  expect((await runDcmtk('storescu', ['-aec', 'CTPREP', '+sd', '127.0.0.1', String(node.dicomPort), sharpDir])).code).toBe(0);
  const first = await waitFor('the fallback to harmonize the sharp series', async () => {
    const [job] = await jobs();
    return job?.state === 'done' ? job : undefined;
  }, { timeoutMs: 60_000 });
  expect(first.steps[0]!.report).toMatchObject({ fallback: expect.any(String) });
  await waitFor('the fallback series to be delivered', async () => (await readdir(received)).length === 30, { timeoutMs: 60_000 });

  expect((await runDcmtk('storescu', ['-aec', 'CTPREP', '+sd', '127.0.0.1', String(node.dicomPort), softDir])).code).toBe(0);
  const again = await waitFor('the sharp series to be made again with the calibration', async () => {
    const job = (await jobs()).find((row) => row.series_generation === 2);
    return job?.state === 'done' ? job : undefined;
  }, { timeoutMs: 120_000 });
  expect(again.steps[0]!.report).toMatchObject({ calibration: expect.any(String), targetKernel: 'B40f' });
  expect((await jobs()).map((row) => [row.series_generation, row.state])).toEqual([[1, 'done'], [2, 'done']]);

  const files = await waitFor('the calibrated series to be delivered', async () => {
    const names = await readdir(received);
    return names.length === 60 ? names.map((name) => path.join(received, name)) : undefined;
  }, { timeoutMs: 60_000 });
  const descriptions = new Set<string>();
  for (const file of files) descriptions.add(String((await readImageHeaders(file))[0]!.header.DerivationDescription));
  expect([...descriptions].sort()).toEqual([expect.stringMatching(/Gaussian .*fallback/), expect.stringMatching(/Kernel transfer SIEMENS Sensation 10 B70f->B40f/)].sort());
  const { rows } = await node.db.query<{ action: string; detail: { because?: string } }>("SELECT action, detail FROM audit_events WHERE action IN ('calibration.fitted', 'series.routed-again') ORDER BY id");
  expect(rows.map((row) => row.action)).toEqual(['calibration.fitted', 'series.routed-again']);
  expect(rows[1]!.detail.because).toMatch(/^calibration /);
}, 300_000);
