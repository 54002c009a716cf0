/**
 * The same API on the embedded database (PGlite in a temporary folder), as a node without a
 * PostgreSQL server runs it: reads, a rule saved and tried, a retry through pg-boss, metrics.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { startQueue, processQueue } from '../../src/queue/queue.js';
import { createApi } from '../../src/api/create-api.js';
import { startApi, type RunningApi } from '../../src/api/start-api.js';
import { silentLogger } from '../../src/log.js';
import { apiClient, apiDeps, ctHeader, insertDelivery, insertInstance, insertJob, insertSeries, queueEntries, sampleCalibration, sharpRule, storeTestDestinations, expectDestinationEditing } from './api-fixtures.js';

const bossSchema = 'queue';
const seriesUid = '1.2.826.0.1.3680043.10.999.3.1';
let dataDir: string;
let db: Database;
let boss: PgBoss;
let api: RunningApi;
let call: ReturnType<typeof apiClient>;
let failedJob: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'api-embedded-'));
  db = await openDatabase({ kind: 'embedded', dataDir });
  boss = await startQueue(db, {
    schema: bossSchema,
    processing: { retryLimit: 1, retryDelaySeconds: 1 },
    delivery: { retryLimit: 1, retryDelaySeconds: 1 },
    log: silentLogger(),
  });
  await insertSeries(db, ctHeader(seriesUid, 'B70f', 'Thorax 1.0 B70f'), { state: 'routed', receivedAt: new Date(), instanceCount: 1, rules: [sharpRule] });
  await insertInstance(db, seriesUid, `${seriesUid}.1`, 525_000);
  failedJob = await insertJob(db, seriesUid, sharpRule, { state: 'failed', createdAt: new Date(), error: 'step gaussian-soften failed', stepState: 'failed' });
  await insertDelivery(db, failedJob, 'superseded');
  const modelCard = async (id: string) => {
    if (id !== 'harmonize-v2-fold1') return undefined;
    const folder = path.resolve('models', id);
    return { manifest: JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')), markdown: await readFile(path.join(folder, 'README.md'), 'utf8') };
  };
  await storeTestDestinations(db);
  api = await startApi(createApi(apiDeps(db, boss, { modelCard })), { port: 0 });
  call = apiClient(api.port);
}, 180_000);

afterAll(async () => {
  await api?.close();
  await boss?.stop({ graceful: false, wait: true });
  await db?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('serves health, series and jobs from the embedded database', async () => {
  const health = await call('/api/health');
  expect(health.body).toMatchObject({ status: 'ok', database: { kind: 'embedded', reachable: true } });
  const series = await call('/api/series');
  expect(series.body.series).toEqual([expect.objectContaining({ seriesInstanceUid: seriesUid, routing: { matchedRuleIds: ['harmonize-sharp'], rulesEvaluated: 1 } })]);
  const jobs = await call('/api/jobs');
  expect(jobs.body.jobs).toEqual([expect.objectContaining({ id: failedJob, state: 'failed', deliveries: [expect.objectContaining({ state: 'superseded' })] })]);
});

it('finds the study by accession, patient name prefix and date range, and refuses an unknown filter', async () => {
  for (const query of ['accessionNumber=ACC1001', 'q=doe', 'patientName=DOE*', 'studyDateFrom=2026-01-05&studyDateTo=2026-01-05']) {
    expect((await call(`/api/series?${query}`)).body.series.map((s: any) => s.seriesInstanceUid)).toEqual([seriesUid]);
  }
  expect((await call('/api/series?q=ACC9*')).body).toMatchObject({ series: [], total: 0 });
  expect((await call('/api/series?accesion=ACC1001')).status).toBe(400);
});

it('saves a rule, tries it on the series, and rejects an invalid one', async () => {
  expect((await call(`/api/rules/${sharpRule.id}`, { method: 'PUT', body: sharpRule })).status).toBe(201);
  const dryRun = await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: seriesUid } });
  expect(dryRun.body.matchedRuleIds).toEqual(['harmonize-sharp']);
  const invalid = await call('/api/rules/broken', { method: 'PUT', body: { name: 'x', match: {}, steps: [{ kind: 'gaussian-soften' }], destinations: [] } });
  expect(invalid.status).toBe(400);
  expect(invalid.body.error.message).toContain('rule.destinations');
});

it('edits destinations as on PostgreSQL', async () => {
  await expectDestinationEditing(call, db);
});

it('retries a failed job through pg-boss', async () => {
  const retried = await call(`/api/jobs/${failedJob}/retry`, { method: 'POST' });
  expect(retried.status).toBe(202);
  expect(retried.body.state).toBe('queued');
  expect(await queueEntries(db, bossSchema, processQueue, 'jobId', failedJob)).toBe(1);
});

it('imports and serves a kernel calibration', async () => {
  const calibration = sampleCalibration();
  expect((await call('/api/calibrations', { method: 'POST', body: calibration })).status).toBe(201);
  expect((await call('/api/calibrations')).body.calibrations).toEqual([calibration]);
});

it('renders a model card: what the model accepts and makes, then its README as HTML', async () => {
  const response = await fetch(`http://127.0.0.1:${api.port}/api/models/harmonize-v2-fold1/card`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await response.text();
  expect(html).toContain('<tr><th>Accepts</th><td>CT; sharp or medium kernels; 512x512; pixels 0.4-1 mm</td></tr>');
  expect(html).toContain('<tr><th>Makes</th><td>Philips B-like (soft family); scale 1x in plane, 1x in z</td></tr>');
  expect(html).toMatch(/<h2>Data and split<\/h2>/);
  expect((await call('/api/models/no-such-model/card')).status).toBe(404);
  expect((await call('/api/models/..%2Fetc/card')).status).toBe(400);
});

it('serves the database gauges', async () => {
  const text = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
  expect(text).toMatch(/^ctprep_series\{state="routed"\} 1$/m);
  expect(text).toMatch(/^ctprep_instances_received_bytes 525000$/m);
  expect(text).toMatch(/^ctprep_deliveries\{state="superseded"\} 1$/m);
});

it('with a token, answers /api and /metrics only to requests that carry it; the console and health stay open', async () => {
  const token = 'test-token-0123456789abcdef';
  const guarded = await startApi(createApi(apiDeps(db, boss), { apiToken: token }), { port: 0 });
  try {
    const get = (route: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${guarded.port}${route}`, { headers });
    const bearer = (value: string) => ({ Authorization: `Bearer ${value}` });
    expect((await get('/api/health')).status).toBe(200);
    expect((await get('/')).status).toBe(200);
    const missing = await get('/api/series');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringMatching(/asks for an API token/) } });
    const wrong = await get('/api/series', bearer('test-token-0123456789abcdeX'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { message: expect.stringMatching(/not the one/) } });
    expect((await get('/api/series', bearer(token))).status).toBe(200);
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', bearer(token))).status).toBe(200);
    const before = await call('/api/rules');
    const write = await fetch(`http://127.0.0.1:${guarded.port}/api/rules/${sharpRule.id}`, { method: 'DELETE' });
    expect(write.status).toBe(401);
    expect((await call('/api/rules')).body).toEqual(before.body);
  } finally {
    await guarded.close();
  }
});
