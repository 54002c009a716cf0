/**
 * Instances that arrive after a series' job started make a new, superseding job (issue 2, part 3);
 * a resend of an instance already received changes nothing. Real PostgreSQL and pg-boss.
 */
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import type PgBoss from 'pg-boss';
import { openDatabase } from '../../src/db/open-database.js';
import type { Database } from '../../src/db/database.js';
import { readIndexHeader } from '../../src/dicom/file/index-header.js';
import { indexInstance } from '../../src/store/instances.js';
import { startQueue } from '../../src/queue/queue.js';
import { getVersionedRule, saveRule, seedRules } from '../../src/store/rules.js';
import { routeCompleteSeries } from '../../src/route/route-series.js';
import { loadRulesFile } from '../../src/route/load-rules.js';
import { silentLogger } from '../../src/log.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';

const seriesDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const schema = uniqueSchema('supersede');
let db: Database;
let boss: PgBoss;
let files: string[];
const clock = () => new Date();

async function index(file: string) {
  return indexInstance(db, {
    header: await readIndexHeader(file),
    path: file,
    sizeBytes: 1,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    callingAeTitle: 'PACS',
    receivedAt: clock(),
  });
}

const route = (uid: string) => routeCompleteSeries(uid, { db, boss, uidRoot: '2.25', nodeName: 'ct-preprocessing-node', clock });

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: testDatabaseUrl, schema });
  await seedRules(db, await loadRulesFile(path.resolve('config/rules.json')));
  boss = await startQueue(db, {
    schema: `${schema}_queue`,
    processing: { retryLimit: 1, retryDelaySeconds: 1 },
    delivery: { retryLimit: 1, retryDelaySeconds: 1 },
    log: silentLogger(),
  });
  files = (await readdir(seriesDir)).sort().map((name) => path.join(seriesDir, name));
});

afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
  await db?.close();
  await dropSchemas(schema, `${schema}_queue`);
});

it('a late instance reopens the series and its next routing supersedes the earlier job', async () => {
  const uid = (await readIndexHeader(files[0]!)).seriesInstanceUid;
  for (const file of files.slice(0, 29)) expect((await index(file)).newInstance).toBe(true);
  const first = await route(uid);
  expect(first?.generation).toBe(1);
  expect(first?.jobIds).toHaveLength(1);
  expect(await route(uid)).toBeUndefined();

  expect((await index(files[0]!)).newInstance).toBe(false);
  const afterResend = await db.query<{ state: string; generation: number }>('SELECT state, generation FROM series WHERE series_instance_uid = $1', [uid]);
  expect(afterResend.rows[0]).toEqual({ state: 'routed', generation: 1 });

  expect((await index(files[29]!)).newInstance).toBe(true);
  const reopened = await db.query<{ state: string; generation: number; instance_count: number }>(
    'SELECT state, generation, instance_count FROM series WHERE series_instance_uid = $1',
    [uid],
  );
  expect(reopened.rows[0]).toEqual({ state: 'receiving', generation: 2, instance_count: 30 });

  // Someone edits the rule meanwhile: the next job records the new version.
  const { version: _read, ...rule } = (await getVersionedRule(db, 'harmonize-sharp-chest-ct'))!;
  expect((await saveRule(db, { ...rule, name: 'edited' }, { destinations: ['pacs'], stepKinds: ['kernel-transfer'] })).version).toBe(2);

  const second = await route(uid);
  expect(second?.generation).toBe(2);
  const jobs = await db.query<{ id: string; state: string; series_generation: number; rule_version: number }>(
    'SELECT id, state, series_generation, rule_version FROM jobs WHERE series_instance_uid = $1 ORDER BY series_generation',
    [uid],
  );
  expect(jobs.rows.map((job) => [job.series_generation, job.state, job.rule_version])).toEqual([
    [1, 'superseded', 1],
    [2, 'queued', 2],
  ]);
  const queued = await boss.fetch<{ jobId: string }>('process-series', { batchSize: 10 });
  expect(queued.map((job) => job.data.jobId).sort()).toEqual([...first!.jobIds, ...second!.jobIds].sort());
});
