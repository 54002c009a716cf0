/**
 * Rows for the API tests, written with plain SQL as the ingest and pipeline stages would leave
 * them, and a small client for the started API.
 */
import type { Destination } from '../../src/config/schema.js';
import { destinationsByName, syncConfiguredDestinations } from '../../src/store/destinations.js';
import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { Registry } from 'prom-client';
import type { Database } from '../../src/db/database.js';
import type { ApiDeps } from '../../src/api/api-deps.js';
import { retryJob } from '../../src/jobs/retry-job.js';
import { defaultStepKinds, stepSpecProblems } from '../../src/jobs/steps/index.js';
import { retryDelivery } from '../../src/deliver/retry-delivery.js';
import { routeSeries } from '../../src/route/match-rules.js';
import { routeSeriesAgain } from '../../src/route/route-series.js';
import { seriesTagsFromHeader } from '../../src/route/series-tags.js';
import { ruleSchema, type Rule } from '../../src/route/rule.js';
import { silentLogger } from '../../src/log.js';

export const sharpRule: Rule = ruleSchema.parse({
  id: 'harmonize-sharp',
  name: 'Harmonize sharp chest CT',
  match: { modality: 'CT', convolutionKernel: { family: ['sharp'] }, rows: 512, columns: 512 },
  steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 1 } }],
  destinations: ['pacs'],
});

export const softRule: Rule = ruleSchema.parse({
  id: 'upsample-soft',
  name: 'Upsample soft chest CT',
  priority: 200,
  match: { modality: 'CT', convolutionKernel: { family: ['soft'] } },
  steps: [{ kind: 'bicubic-upsample', options: { factor: 2 } }],
  destinations: ['pacs'],
});

export function ctHeader(seriesInstanceUid: string, kernel: string, description: string, study: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SeriesInstanceUID: seriesInstanceUid,
    StudyInstanceUID: '1.2.826.0.1.3680043.10.999.1',
    PatientID: 'ANON-0001',
    PatientName: 'DOE^JANE',
    AccessionNumber: 'ACC1001',
    StudyDate: '20260105',
    StudyDescription: 'CT THORAX',
    Modality: 'CT',
    Manufacturer: 'SIEMENS',
    ConvolutionKernel: kernel,
    Rows: 512,
    Columns: 512,
    SliceThickness: 1,
    SeriesDescription: description,
    ...study,
  };
}

export async function insertRule(db: Database, rule: Rule): Promise<void> {
  await db.query('INSERT INTO rules (id, definition) VALUES ($1, $2)', [rule.id, JSON.stringify(rule)]);
}

/** A series as ingest indexes it; routed ones carry the decision routing would store. */
export async function insertSeries(
  db: Database,
  header: Record<string, unknown>,
  options: { state: 'receiving' | 'routed'; receivedAt: Date; instanceCount: number; rules?: Rule[] },
): Promise<void> {
  const uid = header.SeriesInstanceUID as string;
  const decision = options.state === 'routed' ? routeSeries(options.rules ?? [], seriesTagsFromHeader(header, 'PACS', false)) : null;
  await db.query(
    `INSERT INTO series (series_instance_uid, study_instance_uid, patient_id, modality, manufacturer, convolution_kernel,
       rows, columns, slice_thickness, series_description, calling_ae, tags, state, instance_count,
       first_received_at, last_received_at, routed_at, routing, patient_name, accession_number, study_date, study_description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'PACS', $11, $12, $13, $14, $14, $15, $16, $17, $18, $19, $20)`,
    [
      uid,
      header.StudyInstanceUID,
      header.PatientID,
      header.Modality,
      header.Manufacturer,
      header.ConvolutionKernel,
      header.Rows,
      header.Columns,
      header.SliceThickness,
      header.SeriesDescription,
      JSON.stringify(header),
      options.state,
      options.instanceCount,
      options.receivedAt,
      options.state === 'routed' ? options.receivedAt : null,
      decision && JSON.stringify(decision),
      header.PatientName ?? null,
      header.AccessionNumber ?? null,
      header.StudyDate ?? null,
      header.StudyDescription ?? null,
    ],
  );
}

export async function insertInstance(db: Database, seriesInstanceUid: string, sopInstanceUid: string, sizeBytes: number, path = '/spool/x.dcm'): Promise<void> {
  await db.query(
    `INSERT INTO instances (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid, transfer_syntax_uid,
       instance_number, path, size_bytes, calling_ae, received_at)
     VALUES ($1, $2, '1.2.826.0.1.3680043.10.999.1', '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', 1, $4, $3, 'PACS', now())`,
    [sopInstanceUid, seriesInstanceUid, sizeBytes, path],
  );
}

export async function insertJob(
  db: Database,
  seriesInstanceUid: string,
  rule: Rule,
  options: { state: string; createdAt: Date; error?: string; derivedSeriesUid?: string; stepState?: string; heartbeatAt?: Date },
): Promise<string> {
  const id = randomUUID();
  const steps = rule.steps.map((step) => ({ kind: step.kind, state: options.stepState ?? 'done' }));
  await db.query(
    `INSERT INTO jobs (id, series_instance_uid, series_generation, rule_id, rule, state, steps, attempts, error,
       derived_series_uid, output_dir, instance_count, created_at, updated_at, worker, heartbeat_at)
     VALUES ($1, $2, 1, $3, $4, $5, $6, 1, $7, $8, '/spool/out', 3, $9, $9, $10, $11)`,
    [
      id,
      seriesInstanceUid,
      rule.id,
      JSON.stringify(rule),
      options.state,
      JSON.stringify(steps),
      options.error ?? null,
      options.derivedSeriesUid ?? null,
      options.createdAt,
      options.state === 'running' ? 'fixture-host/1/live' : null,
      // A running job's worker answered just now, unless the test says it went silent.
      options.state === 'running' ? (options.heartbeatAt ?? new Date()) : null,
    ],
  );
  if (options.derivedSeriesUid) {
    await db.query('INSERT INTO derived_series (series_instance_uid, job_id, created_at) VALUES ($1, $2, $3)', [options.derivedSeriesUid, id, options.createdAt]);
  }
  return id;
}

export async function insertDelivery(db: Database, jobId: string, state: string, lastError?: string): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO deliveries (id, job_id, destination, state, attempts, last_error, created_at, updated_at)
     VALUES ($1, $2, 'pacs', $3, 2, $4, now(), now())`,
    [id, jobId, state, lastError ?? null],
  );
  return id;
}

/** The API wired as the node wires it: retries go through src/jobs/retry-job.ts and src/deliver/retry-delivery.ts and a real pg-boss. */
const stepKinds = defaultStepKinds();
/** The models the API tests' node knows: one trained, one random-weight stand-in. */
const knownModels = new Map([['harmonize-v2-fold1', { status: 'trained' }], ['sr2x-edsr2d-random', { status: 'untrained-random-weights' }]]);

/** The destination the fixtures' rules name, stored as the node stores its configured ones. */
export const testPacs: Destination = { aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242 };

export async function storeTestDestinations(db: Database, destinations: Record<string, Destination> = { pacs: testPacs }): Promise<void> {
  await syncConfiguredDestinations(db, destinations);
}

export function apiDeps(db: Database, boss: PgBoss, overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    db,
    retryJob: (jobId, options) => retryJob(db, boss, jobId, new Date(), 10_000, options),
    retryDelivery: (deliveryId) => retryDelivery(db, boss, deliveryId, new Date()),
    routeAgain: (seriesInstanceUid) => routeSeriesAgain(seriesInstanceUid, { db, boss, uidRoot: '2.25', nodeName: 'ct-preprocessing-node', clock: () => new Date() }),
    ruleReferences: async () => ({ destinations: Object.keys(await destinationsByName(db)), stepKinds: [...stepKinds.keys()], stepProblems: (step, at) => stepSpecProblems(step, at, stepKinds, { models: knownModels }) }),
    node: { aeTitle: 'CTPREP', dicomPort: 11112, version: '0.1.0-test', databaseKind: db.kind },
    metrics: new Registry(),
    log: silentLogger(),
    ...overrides,
  };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch against the started API, answering status, headers and parsed JSON (undefined when empty). */
export function apiClient(port: number) {
  return async <T = any>(path: string, init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse<T>> => {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) body = JSON.stringify(init.body);
    if (body !== undefined) headers['Content-Type'] ??= 'application/json';
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: init.method ?? 'GET', headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}

/** A queue entry pg-boss holds for one of our jobs or deliveries. */
export async function queueEntries(db: Database, bossSchema: string, queue: string, key: 'jobId' | 'deliveryId', id: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM "${bossSchema}".job WHERE name = $1 AND data->>'${key}' = $2 AND state = 'created'`,
    [queue, id],
  );
  return rows[0]?.count ?? 0;
}

/** A calibration as ctprep calibrate writes it (figures of the Siemens A0002 pair). */
export function sampleCalibration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    scanner: { manufacturer: 'SIEMENS', modelName: 'Sensation 10' },
    sourceKernel: 'B70f',
    targetKernel: 'B40f',
    response: { frequenciesPerMm: [0, 0.25, 0.5, 0.75], gains: [1, 0.8, 0.35, 0.1] },
    residual: { npsHu2Mm2: [0, 2, 5, 1], stdHu: 6.2 },
    fitQuality: {
      heldBackSlices: 7,
      input: { maeHu: 25.1, psnr: 33, ssim: 0.847, maeFullHu: 27 },
      transfer: { maeHu: 3.4, psnr: 47.9, ssim: 0.998, maeFullHu: 4.1 },
    },
    provenance: {
      sourceSeriesInstanceUid: '1.2.826.0.1.3680043.10.999.9.1',
      targetSeriesInstanceUid: '1.2.826.0.1.3680043.10.999.9.2',
      link: 'frame-of-reference',
      pixelSpacingMm: [0.7, 0.7],
      slicesUsed: 23,
      fittedAt: '2026-11-20T10:00:00.000Z',
      slices: 'every shared slice but every 4th',
    },
    ...overrides,
  };
}

type ApiCall = ReturnType<typeof apiClient>;

/** The destination editing contract, run against PostgreSQL and the embedded database alike. */
export async function expectDestinationEditing(call: ApiCall, db: Database): Promise<void> {
  const research = { name: 'research', aeTitle: 'RESEARCH', host: '10.0.0.7', port: 11112 };
  const created = await call('/api/destinations', { method: 'POST', body: research });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({ ...research, source: 'api', version: 1 });
  expect((await call('/api/destinations', { method: 'POST', body: research })).status).toBe(409);

  const badAe = await call('/api/destinations', { method: 'POST', body: { ...research, name: 'bad', aeTitle: 'A\\B' } });
  expect(badAe.status).toBe(400);
  expect(badAe.body.error.message).toContain('destination.aeTitle');
  const badPort = await call('/api/destinations', { method: 'POST', body: { ...research, name: 'bad', port: 70000 } });
  expect(badPort.body.error.message).toContain('destination.port');
  const badName = await call('/api/destinations', { method: 'POST', body: { ...research, name: 'no spaces' } });
  expect(badName.body.error.message).toContain('destination.name');
  expect((await call('/api/destinations', { method: 'POST', body: { ...research, name: 'x', colour: 'red' } })).status).toBe(400);

  const updated = await call('/api/destinations/research', { method: 'PUT', body: { aeTitle: 'RESEARCH2', host: '10.0.0.8', port: 104, version: 1 } });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ name: 'research', aeTitle: 'RESEARCH2', port: 104, version: 2 });
  const stale = await call('/api/destinations/research', { method: 'PUT', body: { aeTitle: 'LOST', host: 'h', port: 104, version: 1 } });
  expect(stale.status).toBe(409);
  expect(stale.body.error.message).toContain('version 2, not 1');
  expect((await call('/api/destinations/research')).body.aeTitle).toBe('RESEARCH2');

  // The password of an orthancUrl is never shown; sent back hidden, it keeps the saved one, but only for the same user and address.
  const withOrthanc = { aeTitle: 'RESEARCH2', host: '10.0.0.8', port: 104, orthancUrl: 'http://ctprep:s3cret@10.0.0.8:8042' };
  const shown = (await call('/api/destinations/research', { method: 'PUT', body: { ...withOrthanc, version: 2 } })).body;
  expect(shown).toMatchObject({ orthancUrl: 'http://ctprep:********@10.0.0.8:8042/', version: 3 });
  expect(JSON.stringify((await call('/api/destinations')).body)).not.toContain('s3cret');
  expect((await call('/api/destinations/research', { method: 'PUT', body: { ...withOrthanc, orthancUrl: shown.orthancUrl, port: 105, version: 3 } })).status).toBe(200);
  const savedUrl = async () => (await db.query<{ url: string }>(`SELECT definition->>'orthancUrl' AS url FROM destinations WHERE name = 'research'`)).rows[0].url;
  expect(await savedUrl()).toBe('http://ctprep:s3cret@10.0.0.8:8042/');
  const elsewhere = await call('/api/destinations/research', { method: 'PUT', body: { ...withOrthanc, orthancUrl: 'http://ctprep:********@10.6.6.6:8042/', version: 4 } });
  expect(elsewhere.status).toBe(400);
  expect(elsewhere.body.error.message).toContain('destination.orthancUrl: type the password again');
  expect(await savedUrl()).toBe('http://ctprep:s3cret@10.0.0.8:8042/');
  const audited = await db.query<{ detail: unknown }>(`SELECT detail FROM audit_events WHERE subject = 'research'`);
  expect(JSON.stringify(audited.rows)).not.toContain('s3cret');

  const configured = await call('/api/destinations/pacs', { method: 'PUT', body: { aeTitle: 'X', host: 'h', port: 1, version: 1 } });
  expect(configured.status).toBe(409);
  expect(configured.body.error.message).toContain('CTPREP_DESTINATION_PACS_');
  expect((await call('/api/destinations/pacs', { method: 'DELETE' })).status).toBe(409);

  // A rule may now deliver to it; while an enabled rule does, it cannot be deleted.
  const rule = { ...sharpRule, id: 'to-research', destinations: ['research'] };
  expect((await call('/api/rules/to-research', { method: 'PUT', body: rule })).status).toBe(201);
  const inUse = await call('/api/destinations/research', { method: 'DELETE' });
  expect(inUse.status).toBe(409);
  expect(inUse.body.error.message).toContain('to-research');
  expect((await call('/api/rules/to-research', { method: 'DELETE' })).status).toBe(204);
  expect((await call('/api/destinations/research', { method: 'DELETE' })).status).toBe(204);
  expect((await call('/api/destinations/research')).status).toBe(404);
  const rejected = await call('/api/rules/to-research', { method: 'PUT', body: rule });
  expect(rejected.status).toBe(400);
  expect(rejected.body.error.message).toContain("unknown destination 'research'");

  const { rows } = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE subject = 'research' ORDER BY at, action`);
  expect(rows.map((row) => row.action)).toEqual(expect.arrayContaining(['destination.created', 'destination.saved', 'destination.deleted']));
}
