/**
 * Retention (src/retention/): delivered files go after their age or while the disk is above the
 * high-water mark; what is still to deliver or retry stays. On the embedded database, with real
 * folders for the spool and the derived series.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { silentLogger } from '../../src/log.js';
import { cleanUp } from '../../src/retention/clean-up.js';
import { ctHeader, insertJob, insertSeries, sharpRule } from './api-fixtures.js';

let dir: string;
let db: Database;
const now = new Date('2026-11-26T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86400_000);
const seriesDir = (uid: string) => path.join(dir, 'spool', 'series', uid);

async function seriesWithFiles(uid: string, receivedAt: Date): Promise<void> {
  await insertSeries(db, ctHeader(uid, 'B70f', 'x'), { state: 'routed', receivedAt, instanceCount: 1, rules: [sharpRule] });
  await mkdir(seriesDir(uid), { recursive: true });
  await writeFile(path.join(seriesDir(uid), '1.dcm'), Buffer.alloc(1000));
}

async function jobWithOutput(uid: string, state: string, finishedAt: Date): Promise<string> {
  const id = await insertJob(db, uid, sharpRule, { state, createdAt: finishedAt });
  const outputDir = path.join(dir, 'derived', id, 'attempt-1');
  await mkdir(outputDir, { recursive: true });
  await writeFile(path.join(outputDir, 'a.dcm'), Buffer.alloc(500));
  await db.query('UPDATE jobs SET output_dir = $2, finished_at = $3 WHERE id = $1', [id, outputDir, finishedAt]);
  return id;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'retention-'));
  db = await openDatabase({ kind: 'embedded', dataDir: path.join(dir, 'db') });
}, 120_000);

afterAll(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

it('removes delivered files after their age, keeps what is still to deliver or retry, and records what it removed', async () => {
  const [delivered, failed, fresh, noRule] = ['1.2.826.0.1.3680043.10.999.8.1', '1.2.826.0.1.3680043.10.999.8.2', '1.2.826.0.1.3680043.10.999.8.3', '1.2.826.0.1.3680043.10.999.8.4'];
  await seriesWithFiles(delivered, daysAgo(40));
  await seriesWithFiles(failed, daysAgo(40));
  await seriesWithFiles(fresh, daysAgo(1));
  await seriesWithFiles(noRule, daysAgo(40));
  await db.query('UPDATE series SET routing = NULL WHERE series_instance_uid = $1', [noRule]);
  const doneJob = await jobWithOutput(delivered, 'done', daysAgo(10));
  const failedJob = await jobWithOutput(failed, 'failed', daysAgo(10));
  const freshJob = await jobWithOutput(fresh, 'done', daysAgo(1));

  const deps = { db, seriesDir, dataDir: dir, clock: () => now, log: silentLogger() };
  const result = await cleanUp(deps, { derivedHours: 24 * 7, spoolHours: 24 * 30, highWaterPercent: 100 });
  expect(result).toEqual({ derivedRemoved: 1, seriesRemoved: 2, bytes: 500 + 2 * 1000 });
  expect(await readdir(path.join(dir, 'derived'))).toEqual([failedJob, freshJob].sort());
  expect((await readdir(path.join(dir, 'spool', 'series'))).sort()).toEqual([failed, fresh].sort());
  const { rows } = await db.query<{ series_instance_uid: string }>('SELECT series_instance_uid FROM series WHERE files_removed_at IS NOT NULL ORDER BY 1');
  expect(rows.map((row) => row.series_instance_uid)).toEqual([delivered, noRule]);
  expect((await db.query('SELECT 1 FROM jobs WHERE id = $1 AND output_removed_at IS NOT NULL', [doneJob])).rows).toHaveLength(1);
  expect(await cleanUp(deps, { derivedHours: 24 * 7, spoolHours: 24 * 30, highWaterPercent: 100 })).toEqual({ derivedRemoved: 0, seriesRemoved: 0, bytes: 0 });
});

it('above the high-water mark, removes delivered files whatever their age, and never the failed job\'s', async () => {
  const result = await cleanUp({ db, seriesDir, dataDir: dir, clock: () => now, log: silentLogger() }, { derivedHours: 0, spoolHours: 0, highWaterPercent: 1 });
  expect(result.derivedRemoved).toBe(1);
  expect(result.seriesRemoved).toBe(1);
  expect(await readdir(path.join(dir, 'derived'))).toHaveLength(1);
  expect(await readdir(path.join(dir, 'spool', 'series'))).toEqual(['1.2.826.0.1.3680043.10.999.8.2']);
});
