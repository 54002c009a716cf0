/**
 * Series indexed before the study search columns existed are filled from their files in the
 * spool at the next start (ingest/backfill-study-search.ts), on the embedded database.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { backfillStudySearch } from '../../src/ingest/backfill-study-search.js';
import { silentLogger } from '../../src/log.js';
import { listSeries } from '../../src/store/series-queries.js';
import { ctHeader, insertInstance, insertSeries } from './api-fixtures.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
let dataDir: string;
let db: Database;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'backfill-'));
  db = await openDatabase({ kind: 'embedded', dataDir });
}, 120_000);

afterAll(async () => {
  await db?.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('fills patient name, accession, date and description of older series from a file of each, once', async () => {
  const withFile = '1.2.826.0.1.3680043.10.999.7.1';
  const withoutFile = '1.2.826.0.1.3680043.10.999.7.2';
  const bare = { PatientName: undefined, AccessionNumber: undefined, StudyDate: undefined, StudyDescription: undefined };
  for (const uid of [withFile, withoutFile]) await insertSeries(db, ctHeader(uid, 'B70f', 'old', bare), { state: 'routed', receivedAt: new Date(), instanceCount: 1 });
  await db.query('UPDATE series SET search_backfilled = false');
  await insertInstance(db, withFile, `${withFile}.1`, 1);
  const file = path.join(SERIES, (await readdir(SERIES)).sort()[0]!);
  await db.query('UPDATE instances SET path = $1 WHERE series_instance_uid = $2', [file, withFile]);
  await db.query('UPDATE instances SET path = $1 WHERE series_instance_uid = $2', ['/gone/x.dcm', withoutFile]);

  expect(await backfillStudySearch(db, silentLogger())).toBe(1);
  const { series } = await listSeries(db, { studyDateFrom: '19000101', limit: 10, offset: 0 });
  expect(series.map((s) => s.seriesInstanceUid)).toEqual([withFile]);
  expect(series[0]).toMatchObject({ studyDate: expect.stringMatching(/^\d{8}$/) });
  expect(await backfillStudySearch(db, silentLogger())).toBe(0);
  const { rows } = await db.query<{ done: number }>('SELECT count(*)::int AS done FROM series WHERE search_backfilled');
  expect(rows[0]!.done).toBe(2);
});
