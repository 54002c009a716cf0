/**
 * The REST API, /metrics and the console against real PostgreSQL, with retries going through
 * src/jobs/retry-job.ts and src/deliver/retry-delivery.ts into a real pg-boss on the same database.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type PgBoss from 'pg-boss';
import { pino } from 'pino';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { startQueue, processQueue, deliverQueue } from '../../src/queue/queue.js';
import { createApi } from '../../src/api/create-api.js';
import { startApi, type RunningApi } from '../../src/api/start-api.js';
import { silentLogger } from '../../src/log.js';
import { beginStepRun, markStepDone, markStepRunning, markStepsFailed } from '../../src/store/job-steps.js';
import { markIncomplete } from '../../src/store/series.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';
import {
  apiClient, apiDeps, ctHeader, insertDelivery, insertInstance, insertJob, insertRule, insertSeries,
  queueEntries, sampleCalibration, sharpRule, softRule,
  storeTestDestinations,
  testPacs,
  expectDestinationEditing,
} from './api-fixtures.js';

const schema = uniqueSchema('api_test');
const bossSchema = `${schema}_queue`;
let db: Database;
let boss: PgBoss;
let api: RunningApi;
let call: ReturnType<typeof apiClient>;

const sharpUid = '1.2.826.0.1.3680043.10.999.2.1';
const softUid = '1.2.826.0.1.3680043.10.999.2.2';
const receivingUid = '1.2.826.0.1.3680043.10.999.2.3';
const derivedUid = '1.2.826.0.1.3680043.10.999.2.4';
const ids = {} as { failedJob: string; doneJob: string; runningJob: string; failedDelivery: string; doneDelivery: string };

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: testDatabaseUrl, schema });
  boss = await startQueue(db, {
    schema: bossSchema,
    processing: { retryLimit: 1, retryDelaySeconds: 1 },
    delivery: { retryLimit: 1, retryDelaySeconds: 1 },
    log: silentLogger(),
  });
  const rules = [sharpRule, softRule];
  const t0 = Date.parse('2026-01-05T08:00:00Z');
  await insertSeries(db, ctHeader(sharpUid, 'B70f', 'Thorax 1.0 B70f'), { state: 'routed', receivedAt: new Date(t0), instanceCount: 2, rules });
  await insertSeries(db, ctHeader(softUid, 'B30f', 'Thorax 1.0 B30f'), { state: 'routed', receivedAt: new Date(t0 + 60_000), instanceCount: 1, rules });
  const otherStudy = { PatientID: 'ANON-0002', PatientName: 'ROE^RICHARD', AccessionNumber: 'ACC2002', StudyDate: '20260107', StudyDescription: 'CT HEAD', StudyInstanceUID: '1.2.826.0.1.3680043.10.999.5' };
  await insertSeries(db, ctHeader(receivingUid, 'B70f', 'Thorax in progress', otherStudy), { state: 'receiving', receivedAt: new Date(t0 + 120_000), instanceCount: 0 });
  await insertInstance(db, sharpUid, `${sharpUid}.1`, 1000);
  await insertInstance(db, sharpUid, `${sharpUid}.2`, 2000);
  await insertInstance(db, softUid, `${softUid}.1`, 500);
  ids.failedJob = await insertJob(db, sharpUid, sharpRule, { state: 'failed', createdAt: new Date(t0 + 1000), error: 'ORTHANC refused 2 of 2 instances', derivedSeriesUid: derivedUid });
  ids.failedDelivery = await insertDelivery(db, ids.failedJob, 'failed', 'association rejected');
  ids.doneJob = await insertJob(db, softUid, softRule, { state: 'done', createdAt: new Date(t0 + 61_000) });
  ids.doneDelivery = await insertDelivery(db, ids.doneJob, 'done');
  ids.runningJob = await insertJob(db, sharpUid, softRule, { state: 'running', createdAt: new Date(t0 + 2000), stepState: 'running' });
  for (const rule of rules) await insertRule(db, rule);
  await storeTestDestinations(db);

  api = await startApi(createApi(apiDeps(db, boss, { models: async () => [{ id: 'soft-gan', version: '1' }] })), { port: 0 });
  call = apiClient(api.port);
});

afterAll(async () => {
  await api?.close();
  await boss?.stop({ graceful: false, wait: true });
  await db?.close();
  if (!process.env.KEEP_TEST_SCHEMAS) await dropSchemas(schema, bossSchema);
});

function expectError(response: { status: number; body: any }, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
}

describe('health, destinations, models', () => {
  it('reports the database reachable and the node', async () => {
    const { status, body } = await call('/api/health');
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      database: { kind: 'postgres', reachable: true },
      node: { aeTitle: 'CTPREP', dicomPort: 11112, version: '0.1.0-test', databaseKind: 'postgres' },
    });
  });

  it('answers liveness and readiness probes without the token', async () => {
    expect((await call('/api/health/live')).body).toEqual({ status: 'alive' });
    expect((await call('/api/health/ready')).body).toEqual({ status: 'ready', problems: [] });
  });

  it('answers 503 when the database does not answer', async () => {
    const closed = await openDatabase({ kind: 'postgres', url: testDatabaseUrl, schema });
    await closed.close();
    const server = await startApi(createApi(apiDeps(closed, boss)), { port: 0 });
    try {
      const { status, body } = await apiClient(server.port)('/api/health');
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'unavailable', database: { kind: 'postgres', reachable: false } });
      const ready = await apiClient(server.port)('/api/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.problems).toEqual([expect.stringMatching(/^database does not answer/)]);
      expect((await apiClient(server.port)('/api/health/live')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('lists destinations by name, with their source and version, and the models given', async () => {
    expect((await call('/api/destinations')).body).toEqual({ destinations: [{ name: 'pacs', aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242, source: 'configuration', version: 1 }] });
    expect((await call('/api/models')).body).toEqual({ models: [{ id: 'soft-gan', version: '1' }] });
  });

  it('edits destinations: create, update with the version read, 409 on a stale one, 400 naming a bad field; configuration ones and ones a rule uses stay', async () => {
    await expectDestinationEditing(call, db);
  });
});

describe('series', () => {
  it('lists the most recently received first, with the routing decision summarised', async () => {
    const { status, body } = await call('/api/series');
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    expect(body.series.map((s: any) => s.seriesInstanceUid)).toEqual([receivingUid, softUid, sharpUid]);
    const sharp = body.series[2];
    expect(sharp).toMatchObject({ state: 'routed', convolutionKernel: 'B70f', instanceCount: 2, rows: 512, callingAeTitle: 'PACS' });
    expect(sharp.routing).toEqual({ matchedRuleIds: ['harmonize-sharp'], rulesEvaluated: 2 });
    expect(sharp.jobs.map((j: any) => j.state)).toEqual(['failed', 'running']);
    expect(body.series[0].routing).toBeNull();
  });

  it('says why an incomplete series is not whole, in the list and in its detail', async () => {
    const reason = 'gap: 2 slices missing between 40.0 and 52.0 mm';
    await markIncomplete(db, receivingUid, reason);
    try {
      const listed = (await call('/api/series?state=incomplete')).body.series;
      expect(listed.map((s: any) => [s.seriesInstanceUid, s.incompleteReason])).toEqual([[receivingUid, reason]]);
      expect((await call(`/api/series/${receivingUid}`)).body).toMatchObject({ state: 'incomplete', incompleteReason: reason });
      expect((await call(`/api/series/${sharpUid}`)).body.incompleteReason).toBeNull();
    } finally {
      await db.query(`UPDATE series SET state = 'receiving', incomplete_reason = NULL WHERE series_instance_uid = $1`, [receivingUid]);
    }
  });

  it('filters by state and pages', async () => {
    const routed = await call('/api/series?state=routed&limit=1&offset=1');
    expect(routed.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(routed.body.series.map((s: any) => s.seriesInstanceUid)).toEqual([sharpUid]);
  });

  it('refuses a bad filter or page before querying, naming the parameter', async () => {
    const badState = await call('/api/series?state=lost');
    expectError(badState, 400, 'invalid_request');
    expect(badState.body.error.message).toMatch(/^state: .*expected one of "receiving"\|"routed"/);
    expect((await call('/api/series?limit=0')).body.error.message).toMatch(/^limit:/);
    expect((await call('/api/series?limit=abc')).body.error.message).toMatch(/^limit:/);
    expect((await call('/api/series?state=routed&state=receiving')).status).toBe(400);
  });

  it.each([
    ['accessionNumber=ACC1001', [softUid, sharpUid]],
    ['accessionNumber=ACC*', [receivingUid, softUid, sharpUid]],
    ['patientId=ANON-0002', [receivingUid]],
    ['patientName=doe*', [softUid, sharpUid]],
    ['patientName=DOE%5EJANE', [softUid, sharpUid]],
    ['studyInstanceUid=1.2.826.0.1.3680043.10.999.5', [receivingUid]],
    ['studyDescription=ct%20th*', [softUid, sharpUid]],
    ['studyDateFrom=2026-01-06', [receivingUid]],
    ['studyDateFrom=20260101&studyDateTo=2026-01-05', [softUid, sharpUid]],
    ['q=ACC2002', [receivingUid]],
    ['q=roe', [receivingUid]],
    ['q=anon-0001', []],
    ['q=ANON-0001', [softUid, sharpUid]],
    [`q=${sharpUid}`, [sharpUid]],
    ['q=ACC*&state=routed', [softUid, sharpUid]],
  ])('finds a study by ?%s', async (query, expected) => {
    const { status, body } = await call(`/api/series?${query}`);
    expect(status).toBe(200);
    expect(body.series.map((s: any) => s.seriesInstanceUid)).toEqual(expected);
    expect(body.total).toBe(expected.length);
  });

  it('serves the study fields with each series, and pages a search with its total', async () => {
    const { body } = await call('/api/series?q=ACC*&limit=2&offset=2');
    expect(body).toMatchObject({ total: 3, limit: 2, offset: 2 });
    expect(body.series).toEqual([expect.objectContaining({ seriesInstanceUid: sharpUid, patientName: 'DOE^JANE', accessionNumber: 'ACC1001', studyDate: '20260105', studyDescription: 'CT THORAX' })]);
  });

  it('refuses an unknown filter or a bad value, naming it, instead of ignoring it', async () => {
    const unknown = await call('/api/series?patientNmae=DOE');
    expectError(unknown, 400, 'invalid_request');
    expect(unknown.body.error.message).toContain('patientNmae');
    expect((await call('/api/series?studyDateFrom=yesterday')).body.error.message).toMatch(/^studyDateFrom: expected a date as YYYY-MM-DD or YYYYMMDD/);
    expect((await call('/api/series?studyDateFrom=2026-02-01&studyDateTo=2026-01-01')).body.error.message).toMatch(/^studyDateFrom: after studyDateTo/);
    expect((await call('/api/series?accessionNumber=')).status).toBe(400);
  });

  it('shows one series with its tags, the full decision and its jobs', async () => {
    const { status, body } = await call(`/api/series/${sharpUid}`);
    expect(status).toBe(200);
    expect(body.tags.ConvolutionKernel).toBe('B70f');
    expect(body.routingDecision.evaluations).toEqual([
      { ruleId: 'harmonize-sharp', matched: true },
      { ruleId: 'upsample-soft', matched: false, failedCondition: expect.stringContaining('convolutionKernel') },
    ]);
    expect(body.jobs.map((j: any) => [j.id, j.state])).toEqual([[ids.failedJob, 'failed'], [ids.runningJob, 'running']]);
  });

  it('answers 404 for an unknown series and 400 for a malformed UID', async () => {
    expectError(await call('/api/series/1.2.3.4'), 404, 'not_found');
    expectError(await call(`/api/series/${encodeURIComponent("1.2'; DROP TABLE series; --")}`), 400, 'invalid_request');
    expectError(await call('/api/series/1.02.3'), 400, 'invalid_request');
  });
});

describe('jobs', () => {
  it('lists jobs newest first with steps, error and deliveries; filters by state', async () => {
    const { body } = await call('/api/jobs');
    expect(body.total).toBe(3);
    expect(body.jobs.map((j: any) => j.id)).toEqual([ids.doneJob, ids.runningJob, ids.failedJob]);
    const failed = body.jobs[2];
    expect(failed).toMatchObject({
      state: 'failed',
      ruleId: 'harmonize-sharp',
      error: 'ORTHANC refused 2 of 2 instances',
      derivedSeriesUid: derivedUid,
      seriesDescription: 'Thorax 1.0 B70f',
      steps: [{ kind: 'gaussian-soften', state: 'done' }],
    });
    expect(failed.deliveries).toEqual([expect.objectContaining({ id: ids.failedDelivery, destination: 'pacs', state: 'failed', lastError: 'association rejected' })]);
    const onlyDone = await call('/api/jobs?state=done');
    expect(onlyDone.body.jobs.map((j: any) => j.id)).toEqual([ids.doneJob]);
  });

  it('shows one job with its rule snapshot and deliveries', async () => {
    const { status, body } = await call(`/api/jobs/${ids.failedJob}`);
    expect(status).toBe(200);
    expect(body.rule.id).toBe('harmonize-sharp');
    expect(body.deliveries).toHaveLength(1);
  });

  it('names files in job errors without the spool path (issue 9)', async () => {
    const [series] = (await db.query<{ series_instance_uid: string }>('SELECT series_instance_uid FROM series LIMIT 1')).rows;
    const id = await insertJob(db, series.series_instance_uid, sharpRule, {
      state: 'failed',
      createdAt: new Date(),
      error: '/srv/ctprep/var/spool/series/1.2.3/1.2.3.4.dcm: cannot read the file again (offset 12)',
    });
    const { body } = await call(`/api/jobs/${id}`);
    expect(body.error).toBe('1.2.3.4.dcm: cannot read the file again (offset 12)');
  });

  it('shows each step of each run, and a viewer link for a series delivered where the destination has a viewer', async () => {
    const derived = '1.2.826.0.1.3680043.10.999.2.9';
    const id = await insertJob(db, softUid, softRule, { state: 'done', createdAt: new Date(), derivedSeriesUid: derived });
    await insertDelivery(db, id, 'done');
    const failedRun = await beginStepRun(db, id, ['bicubic-upsample']);
    await markStepRunning(db, id, failedRun, 0, 'SR2X-BICUBIC', new Date('2026-01-05T09:00:00Z'));
    await markStepsFailed(db, id, failedRun, { index: 0, error: 'disk full', errorClass: 'unavailable', at: new Date('2026-01-05T09:00:01Z') });
    const run = await beginStepRun(db, id, ['bicubic-upsample']);
    await markStepRunning(db, id, run, 0, 'SR2X-BICUBIC', new Date('2026-01-05T09:01:00Z'));
    await markStepDone(db, id, run, 0, { finishedAt: new Date('2026-01-05T09:01:04Z'), busySeconds: 2, voxels: 4_000_000, backend: 'cpu', model: null });
    const viewerUrl = 'http://127.0.0.1:8042/stone-webviewer/index.html?study={StudyInstanceUID}&series={SeriesInstanceUID}';
    await storeTestDestinations(db, { pacs: { ...testPacs, viewerUrl } });
    const withViewer = await startApi(createApi(apiDeps(db, boss)), { port: 0 });
    try {
      const { body } = await apiClient(withViewer.port)(`/api/jobs/${id}`);
      expect(body.stepRuns).toEqual([
        { run: 2, index: 0, kind: 'bicubic-upsample', state: 'done', label: 'SR2X-BICUBIC', startedAt: '2026-01-05T09:01:00.000Z', finishedAt: '2026-01-05T09:01:04.000Z',
          busySeconds: 2, voxels: 4_000_000, voxelsPerSecond: 2_000_000, backend: 'cpu', model: null, error: null, errorClass: null },
        expect.objectContaining({ run: 1, state: 'failed', error: 'disk full', errorClass: 'unavailable', finishedAt: '2026-01-05T09:00:01.000Z' }),
      ]);
      const study = body.studyInstanceUid;
      expect(study).toMatch(/^[0-9.]+$/);
      expect(body.deliveries).toEqual([expect.objectContaining({ state: 'done', viewerUrl: `http://127.0.0.1:8042/stone-webviewer/index.html?study=${study}&series=${derived}` })]);
      const series = await apiClient(withViewer.port)(`/api/series/${softUid}`);
      const job = series.body.jobs.find((j: any) => j.id === id);
      expect(job.deliveries[0].viewerUrl).toBe(body.deliveries[0].viewerUrl);
      // A delivery not (yet) done has no link; a destination without a viewer neither.
      expect((await apiClient(withViewer.port)(`/api/jobs/${ids.failedJob}`)).body.deliveries[0].viewerUrl).toBeNull();
      await storeTestDestinations(db);
      expect((await call(`/api/jobs/${id}`)).body.deliveries[0].viewerUrl).toBeNull();
    } finally {
      await storeTestDestinations(db);
      await withViewer.close();
      // Leave the counts the later tests expect.
      for (const table of ['deliveries', 'derived_series', 'job_steps']) await db.query(`DELETE FROM ${table} WHERE job_id = $1`, [id]);
      await db.query('DELETE FROM jobs WHERE id = $1', [id]);
    }
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    expectError(await call('/api/jobs/not-a-uuid'), 400, 'invalid_request');
    expectError(await call('/api/jobs/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await call('/api/jobs?state=broken'), 400, 'invalid_request');
  });
});

describe('retry', () => {
  it('puts a failed job back in the queue', async () => {
    const { status, body } = await call(`/api/jobs/${ids.failedJob}/retry`, { method: 'POST' });
    expect(status).toBe(202);
    expect(body).toMatchObject({ id: ids.failedJob, state: 'queued', error: null });
    const { rows } = await db.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [ids.failedJob]);
    expect(rows[0]?.state).toBe('queued');
    expect(await queueEntries(db, bossSchema, processQueue, 'jobId', ids.failedJob)).toBe(1);
  });

  it('takes a stuck job, whose worker stopped answering, back to the queue (issue 9, item 5)', async () => {
    const [series] = (await db.query<{ series_instance_uid: string }>('SELECT series_instance_uid FROM series LIMIT 1')).rows;
    const stuck = await insertJob(db, series.series_instance_uid, sharpRule, { state: 'running', createdAt: new Date(), heartbeatAt: new Date(Date.now() - 60_000) });
    const { status, body } = await call(`/api/jobs/${stuck}/retry`, { method: 'POST' });
    expect(status).toBe(202);
    expect(body).toMatchObject({ id: stuck, state: 'queued' });
    expect(await queueEntries(db, bossSchema, processQueue, 'jobId', stuck)).toBe(1);
  });

  it('retries a failed job with the rule as it is now: a new job from the current version supersedes it (issue 11, item 4)', async () => {
    const rule = { ...sharpRule, id: 'retry-current', name: 'Retry with the current rule' };
    await insertRule(db, rule);
    const failed = await insertJob(db, sharpUid, rule, { state: 'failed', createdAt: new Date(), error: 'sigma too large' });
    const changed = await call('/api/rules/retry-current', { method: 'PUT', body: { ...rule, steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 0.6 } }] } });
    expect(changed.body.version).toBe(2);
    expectError(await call(`/api/jobs/${failed}/retry`, { method: 'POST', body: { rule: 'newest' } }), 400, 'invalid_request');
    const { status, body } = await call(`/api/jobs/${failed}/retry`, { method: 'POST', body: { rule: 'current' } });
    try {
      expect(status).toBe(202);
      expect(body).toMatchObject({ ruleId: 'retry-current', ruleVersion: 2, state: 'queued', seriesInstanceUid: sharpUid, seriesGeneration: 1 });
      expect(body.id).not.toBe(failed);
      expect((await call(`/api/jobs/${body.id}`)).body.rule.steps).toEqual([{ kind: 'gaussian-soften', options: { sigmaMm: 0.6 } }]);
      const old = (await call(`/api/jobs/${failed}`)).body;
      expect(old).toMatchObject({ state: 'superseded', error: `superseded: retried as job ${body.id} with rule retry-current version 2` });
      expect(await queueEntries(db, bossSchema, processQueue, 'jobId', body.id)).toBe(1);
      expectError(await call(`/api/jobs/${failed}/retry`, { method: 'POST', body: { rule: 'current' } }), 409, 'conflict');
    } finally {
      await db.query('DELETE FROM jobs WHERE rule_id = $1', ['retry-current']);
      await db.query('DELETE FROM rules WHERE id = $1', ['retry-current']);
    }
  });

  it('refuses to retry a running job (409) and an unknown one (404)', async () => {
    expectError(await call(`/api/jobs/${ids.runningJob}/retry`, { method: 'POST' }), 409, 'conflict');
    expect(await queueEntries(db, bossSchema, processQueue, 'jobId', ids.runningJob)).toBe(0);
    expectError(await call('/api/jobs/00000000-0000-4000-8000-000000000000/retry', { method: 'POST' }), 404, 'not_found');
    expectError(await call('/api/jobs/x/retry', { method: 'POST' }), 400, 'invalid_request');
  });

  it('sends a failed delivery again and refuses a done one', async () => {
    const { status, body } = await call(`/api/deliveries/${ids.failedDelivery}/retry`, { method: 'POST' });
    expect(status).toBe(202);
    expect(body).toMatchObject({ id: ids.failedDelivery, state: 'pending' });
    expect(await queueEntries(db, bossSchema, deliverQueue, 'deliveryId', ids.failedDelivery)).toBe(1);
    expectError(await call(`/api/deliveries/${ids.doneDelivery}/retry`, { method: 'POST' }), 409, 'conflict');
    expectError(await call('/api/deliveries/00000000-0000-4000-8000-000000000000/retry', { method: 'POST' }), 404, 'not_found');
  });

  it('refuses state changes sent from another site', async () => {
    const response = await call(`/api/jobs/${ids.doneJob}/retry`, { method: 'POST', headers: { Origin: 'http://elsewhere.example' } });
    expectError(response, 403, 'forbidden_origin');
    const sameSite = await call(`/api/jobs/${ids.runningJob}/retry`, { method: 'POST', headers: { Origin: `http://127.0.0.1:${api.port}` } });
    expectError(sameSite, 409, 'conflict');
    const { rows } = await db.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [ids.doneJob]);
    expect(rows[0]?.state).toBe('done');
  });
});

describe('rules', () => {
  const newRule = {
    id: 'superres-ge',
    name: 'Super-resolve GE chest CT',
    match: { modality: 'CT', manufacturer: 'GE' },
    steps: [{ kind: 'bicubic-upsample' }],
    destinations: ['pacs'],
  };

  it('lists and shows rules', async () => {
    expect((await call('/api/rules')).body.rules.map((r: any) => r.id)).toEqual(['harmonize-sharp', 'upsample-soft']);
    expect((await call('/api/rules/harmonize-sharp')).body).toEqual({ ...sharpRule, version: 1 });
    expectError(await call('/api/rules/no-such-rule'), 404, 'not_found');
    expectError(await call('/api/rules/Bad_Id'), 400, 'invalid_request');
  });

  it('creates (201), replaces (200) and deletes (204) a rule, its version rising with each save', async () => {
    const created = await call('/api/rules/superres-ge', { method: 'PUT', body: newRule });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ ...newRule, enabled: true, priority: 100, exclusive: false, version: 1 });
    const replaced = await call('/api/rules/superres-ge', { method: 'PUT', body: { ...newRule, enabled: false } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(2);
    const read = (await call('/api/rules/superres-ge')).body;
    expect(read).toMatchObject({ enabled: false, version: 2 });
    // A rule read, edited and sent back with the version it was read at: saved unless someone saved it since.
    expect((await call('/api/rules/superres-ge', { method: 'PUT', body: { ...read, priority: 150 } })).body.version).toBe(3);
    const stale = await call('/api/rules/superres-ge', { method: 'PUT', body: { ...read, priority: 160 } });
    expectError(stale, 409, 'conflict');
    expect(stale.body.error.message).toMatch(/at version 3, not 2/);
    expect((await call('/api/rules/superres-ge')).body.priority).toBe(150);
    const deleted = await call('/api/rules/superres-ge', { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expectError(await call('/api/rules/superres-ge', { method: 'DELETE' }), 404, 'not_found');
  });

  it('takes the id from the URL when the body has none, and refuses a different one', async () => {
    const { id: _omitted, ...withoutId } = newRule;
    expect((await call('/api/rules/from-url', { method: 'PUT', body: withoutId })).body.id).toBe('from-url');
    const mismatch = await call('/api/rules/other-id', { method: 'PUT', body: newRule });
    expectError(mismatch, 400, 'invalid_request');
    expect(mismatch.body.error.message).toMatch(/^id: /);
    await call('/api/rules/from-url', { method: 'DELETE' });
  });

  it('names every invalid key path and stores nothing', async () => {
    const invalid = { ...newRule, match: { rows: 'many', seriesDescription: { pattern: '(' } }, steps: [] };
    const { status, body } = await call('/api/rules/superres-ge', { method: 'PUT', body: invalid });
    expectError({ status, body }, 400, 'invalid_input');
    expect(body.error.message).toContain('rule.match.rows');
    expect(body.error.message).toContain('rule.match.seriesDescription.pattern');
    expect(body.error.message).toContain('rule.steps');
    expect((await call('/api/rules/superres-ge')).status).toBe(404);
  });

  it('refuses unknown destinations and step kinds, naming them', async () => {
    const { body } = await call('/api/rules/superres-ge', {
      method: 'PUT',
      body: { ...newRule, steps: [{ kind: 'magic' }], destinations: ['nowhere'] },
    });
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.message).toContain("rule.steps[0].kind: unknown step kind 'magic'");
    expect(body.error.message).toContain("rule.destinations[0]: unknown destination 'nowhere'");
  });

  it.each([
    ['options its kind refuses', [{ kind: 'gaussian-soften', options: { sigmaMm: 'big' } }], 'rule.steps[0].options.sigmaMm'],
    ['a factor the step cannot do', [{ kind: 'bicubic-upsample', options: { factor: 7 } }], 'rule.steps[0].options.factor'],
    ['a model not in the registry', [{ kind: 'model', options: { model: 'no-such-model' } }], "rule.steps[0].options.model: no model 'no-such-model' in the registry"],
    ['an untrained model without its flag', [{ kind: 'model', options: { model: 'sr2x-edsr2d-random' } }], "rule.steps[0].options.model: model 'sr2x-edsr2d-random' is untrained-random-weights: set allowUntrained"],
    ['a fallback that is itself a kernel transfer', [{ kind: 'kernel-transfer', options: { fallback: { kind: 'kernel-transfer' } } }], 'rule.steps[0].options.fallback.kind: the fallback must be another kind of step'],
    ['a broken fallback', [{ kind: 'kernel-transfer', options: { fallback: { kind: 'gaussian-soften', options: { sigmaMm: -1 } } } }], 'rule.steps[0].options.fallback.options.sigmaMm'],
  ])('refuses a rule that can only fail: %s, naming the field, and stores nothing', async (_what, steps, field) => {
    const response = await call('/api/rules/can-only-fail', { method: 'PUT', body: { ...newRule, id: 'can-only-fail', steps } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(field);
    expect((await call('/api/rules/can-only-fail')).status).toBe(404);
  });

  it('accepts what can run: a trained model, an untrained one with its flag, a kernel transfer with a valid fallback', async () => {
    const steps = [
      { kind: 'kernel-transfer', options: { targetKernel: 'B40f', fallback: { kind: 'model', options: { model: 'harmonize-v2-fold1' } } } },
      { kind: 'model', options: { model: 'sr2x-edsr2d-random', allowUntrained: true } },
    ];
    expect((await call('/api/rules/can-run', { method: 'PUT', body: { ...newRule, id: 'can-run', steps } })).status).toBe(201);
    expect((await call('/api/rules/can-run', { method: 'DELETE' })).status).toBe(204);
  });

  it('answers malformed, missing and oversized bodies in the error shape', async () => {
    expectError(await call('/api/rules/superres-ge', { method: 'PUT', rawBody: '{"id": ' }), 400, 'invalid_json');
    expectError(await call('/api/rules/superres-ge', { method: 'PUT' }), 400, 'invalid_request');
    const huge = JSON.stringify({ ...newRule, name: 'x'.repeat(400_000) });
    expectError(await call('/api/rules/superres-ge', { method: 'PUT', rawBody: huge }), 413, 'body_too_large');
  });
});

describe('rules dry run', () => {
  async function jobCount(): Promise<number> {
    const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM jobs');
    return rows[0]!.count;
  }

  it('routes header-like tags without creating jobs', async () => {
    const before = await jobCount();
    const { status, body } = await call('/api/rules/test', {
      method: 'POST',
      body: { tags: { Modality: 'CT', ConvolutionKernel: 'FC13', Manufacturer: 'TOSHIBA', Rows: 512, Columns: 512 } },
    });
    expect(status).toBe(200);
    expect(body.matchedRuleIds).toEqual(['upsample-soft']);
    expect(body.wouldCreate).toEqual([{ ruleId: 'upsample-soft', steps: softRule.steps, destinations: ['pacs'] }]);
    expect(body.evaluations[0]).toEqual({ ruleId: 'harmonize-sharp', matched: false, failedCondition: expect.any(String) });
    expect(await jobCount()).toBe(before);
  });

  it('routes an indexed series, and tries a draft rule in place of the stored one', async () => {
    const stored = await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: sharpUid } });
    expect(stored.body.matchedRuleIds).toEqual(['harmonize-sharp']);
    expect(stored.body.seriesTags).toMatchObject({ seriesInstanceUid: sharpUid, convolutionKernel: ['B70f'], callingAeTitle: 'PACS' });
    const draft = await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: sharpUid, rule: { ...sharpRule, enabled: false } } });
    expect(draft.body.matchedRuleIds).toEqual([]);
    expect(draft.body.evaluations[0]).toEqual({ ruleId: 'harmonize-sharp', matched: false, failedCondition: 'rule is disabled' });
    expect((await call('/api/rules/harmonize-sharp')).body.enabled).toBe(true);
  });

  it("says the node's own output is never routed", async () => {
    await insertSeries(db, ctHeader(derivedUid, 'B70f', 'Thorax SOFT (derived)'), { state: 'receiving', receivedAt: new Date(0), instanceCount: 1 });
    const { body } = await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: derivedUid } });
    expect(body.matchedRuleIds).toEqual([]);
    expect(body.skippedReason).toMatch(/own output/);
    await db.query('DELETE FROM series WHERE series_instance_uid = $1', [derivedUid]);
  });

  it('refuses an ambiguous or invalid request and an unknown series', async () => {
    const both = await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: sharpUid, tags: {} } });
    expectError(both, 400, 'invalid_input');
    const badDraft = await call('/api/rules/test', { method: 'POST', body: { tags: { Modality: 'CT' }, rule: { id: 'x', steps: [] } } });
    expect(badDraft.body.error.message).toContain('rule.name');
    expectError(await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: '9.9.9' } }), 404, 'not_found');
    expectError(await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: 'abc' } }), 400, 'invalid_request');
  });
});

describe('calibrations', () => {
  it('imports a calibration (201, audited), lists it and shows it; importing it again changes nothing (200)', async () => {
    const calibration = sampleCalibration();
    const imported = await call('/api/calibrations', { method: 'POST', body: calibration });
    expect(imported.status).toBe(201);
    expect(imported.body).toEqual(calibration);
    expect((await call('/api/calibrations', { method: 'POST', body: calibration })).status).toBe(200);
    const listed = (await call('/api/calibrations')).body.calibrations;
    expect(listed.map((c: any) => c.id)).toContain(calibration.id);
    expect((await call(`/api/calibrations/${calibration.id}`)).body).toEqual(calibration);
    const audit = await db.query<{ action: string }>("SELECT action FROM audit_events WHERE subject = $1", [calibration.id]);
    expect(audit.rows.map((row) => row.action)).toEqual(['calibration.imported']);
  });

  it('refuses what is not a calibration, naming the field, and stores nothing', async () => {
    const before = (await call('/api/calibrations')).body.calibrations.length;
    const bad = await call('/api/calibrations', { method: 'POST', body: sampleCalibration({ response: { frequenciesPerMm: [0, 1], gains: ['x', 1] } }) });
    expectError(bad, 400, 'invalid_request');
    expect(bad.body.error.message).toMatch(/response\.gains\[0\]: expected number/);
    expectError(await call('/api/calibrations', { method: 'POST', body: sampleCalibration({ sourceKernel: '' }) }), 400, 'invalid_request');
    const unordered = await call('/api/calibrations', { method: 'POST', body: sampleCalibration({ response: { frequenciesPerMm: [0, 0.5, 0.25], gains: [1, 0.5, 0.2] } }) });
    expect(unordered.body.error.message).toMatch(/response\.frequenciesPerMm: .*increas/);
    expect((await call('/api/calibrations')).body.calibrations).toHaveLength(before);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    expectError(await call('/api/calibrations/not-a-uuid'), 400, 'invalid_request');
    expectError(await call('/api/calibrations/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
  });
});

describe('metrics', () => {
  function metricValue(text: string, line: string): number {
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    if (!found) throw new Error(`metric ${line} missing from:\n${text}`);
    return Number(found.slice(line.length + 1));
  }

  it('serves gauges read from the database at scrape time, and process metrics', async () => {
    const response = await fetch(`http://127.0.0.1:${api.port}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(metricValue(text, 'ctprep_series{state="routed"}')).toBe(2);
    expect(metricValue(text, 'ctprep_series{state="receiving"}')).toBe(1);
    expect(metricValue(text, 'ctprep_instances_received')).toBe(3);
    expect(metricValue(text, 'ctprep_instances_received_bytes')).toBe(3500);
    const jobs = await db.query<{ state: string; count: number }>('SELECT state, count(*)::int AS count FROM jobs GROUP BY state');
    for (const { state, count } of jobs.rows) expect(metricValue(text, `ctprep_jobs{state="${state}"}`)).toBe(count);
    expect(metricValue(text, 'ctprep_jobs{state="superseded"}')).toBe(0);
    expect(metricValue(text, 'ctprep_deliveries{state="done"}')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');

    await insertInstance(db, softUid, `${softUid}.2`, 250);
    const later = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
    expect(metricValue(later, 'ctprep_instances_received')).toBe(4);
  });
});

describe('console and errors', () => {
  it('serves the console page with its sections, its own script, and a strict content policy', async () => {
    const page = await fetch(`http://127.0.0.1:${api.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    for (const section of ['series', 'jobs', 'rules', 'destinations']) expect(html).toContain(`<section id="${section}"`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    const script = await fetch(`http://127.0.0.1:${api.port}/console.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const source = await script.text();
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect((await fetch(`http://127.0.0.1:${api.port}/console.css`)).status).toBe(200);
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    expectError(await call('/api/nothing-here'), 404, 'not_found');
  });

  it('logs an unexpected error and answers 500 without its details', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'error' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const failing = createApi(apiDeps(db, boss, { log, models: async () => { throw new Error('secret path /srv/models/x'); } }));
    const server = await startApi(failing, { port: 0 });
    try {
      const response = await apiClient(server.port)('/api/models');
      expectError(response, 500, 'internal');
      expect(response.body.error.message).not.toContain('secret');
      expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ message: 'secret path /srv/models/x' }) })]);
    } finally {
      await server.close();
    }
  });

  it('answers 404 for models when the node has no registry', async () => {
    const app = createApi(apiDeps(db, boss, { models: undefined }));
    const server = await startApi(app, { port: 0 });
    try {
      expectError(await apiClient(server.port)('/api/models'), 404, 'not_found');
    } finally {
      await server.close();
    }
  });
});

describe('route again', () => {
  it('routes a complete series by the rules as they are now: new jobs of the next generation supersede the earlier ones', async () => {
    const { version: _read, ...rule } = (await call('/api/rules/harmonize-sharp')).body;
    const fixed = { ...rule, steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 0.6 } }] };
    const saved = await call('/api/rules/harmonize-sharp', { method: 'PUT', body: fixed });
    expect(saved.status).toBe(200);

    const routed = await call(`/api/series/${sharpUid}/route-again`, { method: 'POST' });
    expect(routed.status).toBe(202);
    expect(routed.body).toEqual({ generation: 2, jobIds: [expect.any(String)], matchedRuleIds: ['harmonize-sharp'] });
    const [jobId] = routed.body.jobIds;
    const job = (await call(`/api/jobs/${jobId}`)).body;
    expect(job).toMatchObject({ state: 'queued', seriesGeneration: 2, ruleVersion: saved.body.version, rule: { steps: fixed.steps } });
    expect(await queueEntries(db, bossSchema, processQueue, 'jobId', jobId)).toBe(1);
    const { rows } = await db.query<{ state: string }>('SELECT state FROM jobs WHERE series_instance_uid = $1 AND series_generation = 1 ORDER BY created_at', [sharpUid]);
    expect(rows.map((row) => row.state)).not.toContain('running');
    const audit = await db.query<{ action: string }>('SELECT action FROM audit_events WHERE subject = $1', [sharpUid]);
    expect(audit.rows.map((row) => row.action)).toContain('series.routed-again');
  });

  it('reads the tags again from a file of the series: a rule on a keyword indexed since (ProtocolName) matches a series indexed without it', async () => {
    const folder = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0001-philips-L');
    const file = path.join(folder, (await readdir(folder)).sort()[0]!);
    const philipsUid = '1.3.6.1.4.1.14519.5.2.1.6655.2359.257508444832901632590301540805';
    await insertSeries(db, ctHeader(philipsUid, 'L', '5mm', { Manufacturer: 'Philips' }), { state: 'routed', receivedAt: new Date(), instanceCount: 1 });
    await insertInstance(db, philipsUid, '1.2.826.0.1.3680043.10.999.9.1', 1, file);
    const rule = { id: 'chest-by-protocol', name: 'Chest by protocol', match: { modality: 'CT', protocolName: { pattern: 'chest' } }, steps: [{ kind: 'gaussian-soften' }], destinations: ['pacs'] };
    expect((await call('/api/rules/chest-by-protocol', { method: 'PUT', body: rule })).status).toBe(201);
    try {
      const dryRun = await call('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: philipsUid } });
      expect(dryRun.body.seriesTags).toMatchObject({ protocolName: '2 Chest C-/Thorax' });
      expect(dryRun.body.matchedRuleIds).toContain('chest-by-protocol');
      const routed = await call(`/api/series/${philipsUid}/route-again`, { method: 'POST' });
      expect(routed.body.matchedRuleIds).toContain('chest-by-protocol');
      expect((await call(`/api/series/${philipsUid}`)).body.tags).toMatchObject({ ProtocolName: '2 Chest C-/Thorax', SeriesDescription: '5mm' });
    } finally {
      await call('/api/rules/chest-by-protocol', { method: 'DELETE' });
    }
  });

  it('refuses a series still being received (409), an unknown one (404) and a malformed UID (400)', async () => {
    expectError(await call(`/api/series/${receivingUid}/route-again`, { method: 'POST' }), 409, 'conflict');
    expectError(await call('/api/series/1.2.3.999/route-again', { method: 'POST' }), 404, 'not_found');
    expectError(await call('/api/series/not-a-uid/route-again', { method: 'POST' }), 400, 'invalid_request');
  });
});

describe('OpenAPI and methods', () => {
  it('describes every route, with the request schemas the API validates with', async () => {
    const { status, body } = await call('/api/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/series', '/api/rules/{id}', '/api/calibrations', '/api/jobs/{id}/preview.png']));
    const ruleBody = body.paths['/api/rules/{id}'].put.requestBody.content['application/json'].schema;
    expect(ruleBody.required).toEqual(expect.arrayContaining(['id', 'name', 'match', 'steps', 'destinations']));
    expect(body.paths['/api/series'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['q', 'accessionNumber', 'studyDateFrom', 'limit']));
  });

  it('answers a documented GET route with something other than 404 or 405, each of them', async () => {
    const doc = (await call('/api/openapi.json')).body;
    for (const [template, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (!('get' in methods)) continue;
      const path = template.replace('{uid}', sharpUid).replace('{id}', template.includes('calibrations') ? '00000000-0000-4000-8000-000000000000' : template.includes('rules') ? 'harmonize-sharp' : ids.doneJob);
      const response = await call(path);
      expect([path, response.status === 405 || (response.status === 404 && response.body?.error?.message?.startsWith('no route'))]).toEqual([path, false]);
    }
  });

  it('answers a wrong method on a known path with 405 and Allow, and an unknown path with 404', async () => {
    const response = await fetch(`http://127.0.0.1:${api.port}/api/rules/harmonize-sharp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, PUT, DELETE, HEAD');
    expect(((await response.json()) as any).error.code).toBe('method_not_allowed');
    expectError(await call('/api/series', { method: 'DELETE' }), 405, 'method_not_allowed');
    expectError(await call('/api/no-such-thing'), 404, 'not_found');
  });
});
