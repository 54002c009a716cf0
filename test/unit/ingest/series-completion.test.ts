import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../src/db/open-database.js';
import type { Database } from '../../../src/db/database.js';
import { SeriesCompletion } from '../../../src/ingest/series-completion.js';

let db: Database;
let now: number;
const clock = () => new Date(now);

async function receive(seriesUid: string, at: number) {
  await db.query(
    `INSERT INTO series (series_instance_uid, study_instance_uid, calling_ae, tags, state, first_received_at, last_received_at)
     VALUES ($1, '1.2', 'PACS', '{}', 'receiving', $2, $2)
     ON CONFLICT (series_instance_uid) DO UPDATE SET last_received_at = $2`,
    [seriesUid, new Date(at)],
  );
}

beforeAll(async () => {
  // Embedded Postgres with the real migrations: the quiet timer's state lives in the database.
  db = await openDatabase({ kind: 'embedded', dataDir: await mkdtemp(path.join(os.tmpdir(), 'ctprep-completion-')) });
});
afterAll(async () => db?.close());
beforeEach(async () => {
  await db.query('DELETE FROM series');
  now = Date.parse('2026-01-01T00:00:00Z');
});

describe('series completion', () => {
  const options = { quietMs: 3000, openAssociationLimitMs: 60_000, clock };

  it('waits for the quiet time after the last instance', async () => {
    const completion = new SeriesCompletion(db, options);
    await receive('1.1', now);
    now += 2999;
    expect(await completion.findCompleteSeries()).toEqual([]);
    await receive('1.1', now);
    now += 3000;
    expect(await completion.findCompleteSeries()).toEqual(['1.1']);
  });

  it('holds a series while its association is open, then releases it when the association ends', async () => {
    const completion = new SeriesCompletion(db, options);
    completion.noteInstance('assoc-1', '1.1');
    await receive('1.1', now);
    now += 10_000;
    expect(await completion.findCompleteSeries()).toEqual([]);
    completion.associationEnded('assoc-1');
    expect(await completion.findCompleteSeries()).toEqual(['1.1']);
  });

  it('does not wait forever for an association that never ends', async () => {
    const completion = new SeriesCompletion(db, options);
    completion.noteInstance('stuck', '1.1');
    await receive('1.1', now);
    now += 60_000;
    expect(await completion.findCompleteSeries()).toEqual(['1.1']);
  });

  it('completes series received before a restart (no association state survives)', async () => {
    await receive('1.1', now);
    now += 5000;
    expect(await new SeriesCompletion(db, options).findCompleteSeries()).toEqual(['1.1']);
  });
});
