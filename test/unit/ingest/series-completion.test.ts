import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../src/db/open-database.js';
import type { Database } from '../../../src/db/database.js';
import { DEFAULT_TOLERANCES } from '../../../src/imaging/assemble-geometry.js';
import { SeriesCompletion } from '../../../src/ingest/series-completion.js';

let db: Database;
let now: number;
const clock = () => new Date(now);

/** A series whose last instance arrived at `at`, with slices at the given positions (null: multi-frame). */
async function receive(seriesUid: string, at: number, positions: (number | null)[] = [0, 2, 4]) {
  await db.query(
    `INSERT INTO series (series_instance_uid, study_instance_uid, calling_ae, tags, state, first_received_at, last_received_at)
     VALUES ($1, '1.2', 'PACS', '{}', 'receiving', $2, $2)
     ON CONFLICT (series_instance_uid) DO UPDATE SET last_received_at = $2`,
    [seriesUid, new Date(at)],
  );
  await db.query('DELETE FROM instances WHERE series_instance_uid = $1', [seriesUid]);
  for (const [index, position] of positions.entries()) {
    await db.query(
      `INSERT INTO instances (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid, transfer_syntax_uid,
         path, size_bytes, calling_ae, received_at, slice_position)
       VALUES ($1, $2, '1.2', '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', '/x', 1, 'PACS', $3, $4)`,
      [`${seriesUid}.${index}`, seriesUid, new Date(at), position],
    );
  }
}

beforeAll(async () => {
  // Embedded Postgres with the real migrations: the timers' state lives in the database.
  db = await openDatabase({ kind: 'embedded', dataDir: await mkdtemp(path.join(os.tmpdir(), 'ctprep-completion-')) });
});
afterAll(async () => db?.close());
beforeEach(async () => {
  await db.query('DELETE FROM instances');
  await db.query('DELETE FROM series');
  now = Date.parse('2026-01-01T00:00:00Z');
});

describe('series completion', () => {
  const options = { quietMs: 3000, unconfirmedQuietMs: 600_000, openAssociationLimitMs: 60_000, minSlices: 1, spacing: DEFAULT_TOLERANCES, clock };
  const completion = (overrides: Partial<typeof options> = {}) => new SeriesCompletion(db, { ...options, ...overrides });

  it('waits for the quiet time after the last instance of a send that ended normally', async () => {
    const check = completion();
    check.noteInstance('a', '1.1');
    await receive('1.1', now);
    await check.associationEnded('a', 'released', new Date(now));
    now += 2999;
    expect(await check.findCompleteSeries()).toEqual({ complete: [], incomplete: [] });
    await receive('1.1', now);
    check.noteInstance('b', '1.1');
    await check.associationEnded('b', 'released', new Date(now));
    now += 3000;
    expect((await check.findCompleteSeries()).complete).toEqual(['1.1']);
  });

  it('holds a series while its association is open, then lets it go when the association is released', async () => {
    const check = completion();
    check.noteInstance('assoc-1', '1.1');
    await receive('1.1', now);
    now += 10_000;
    expect((await check.findCompleteSeries()).complete).toEqual([]);
    await check.associationEnded('assoc-1', 'released', new Date(now));
    expect((await check.findCompleteSeries()).complete).toEqual(['1.1']);
  });

  it('[issue 9, item 4] waits for a resend, or the longer quiet time, when the send was aborted', async () => {
    const check = completion();
    check.noteInstance('crashed', '1.1');
    await receive('1.1', now, [0, 2]);
    await check.associationEnded('crashed', 'interrupted', new Date(now));
    now += 60_000;
    expect(await check.findCompleteSeries()).toEqual({ complete: [], incomplete: [] });
    // The sender sends the whole series again and releases: complete after the quiet time.
    check.noteInstance('resend', '1.1');
    await receive('1.1', now, [0, 2, 4, 6]);
    await check.associationEnded('resend', 'released', new Date(now));
    now += 3000;
    expect((await check.findCompleteSeries()).complete).toEqual(['1.1']);
  });

  it('routes an interrupted series after the longer quiet time when it is whole', async () => {
    const check = completion();
    check.noteInstance('crashed', '1.1');
    await receive('1.1', now);
    await check.associationEnded('crashed', 'interrupted', new Date(now));
    now += 599_999;
    expect((await check.findCompleteSeries()).complete).toEqual([]);
    now += 1;
    expect((await check.findCompleteSeries()).complete).toEqual(['1.1']);
  });

  it('treats series received before a restart as unconfirmed (no association state survives)', async () => {
    await receive('1.1', now);
    now += 5000;
    expect((await completion().findCompleteSeries()).complete).toEqual([]);
    now += 600_000;
    expect((await completion().findCompleteSeries()).complete).toEqual(['1.1']);
  });

  it('does not wait forever for an association that never ends', async () => {
    const check = completion({ unconfirmedQuietMs: 60_000 });
    check.noteInstance('stuck', '1.1');
    await receive('1.1', now);
    now += 60_000;
    expect((await check.findCompleteSeries()).complete).toEqual(['1.1']);
  });

  it('[issue 9, item 4] finds a series with a gap, a duplicate position or too few slices incomplete, saying why', async () => {
    const check = completion({ minSlices: 3 });
    for (const [uid, positions] of [
      ['1.gap', [0, 2, 4, 8, 10]],
      ['1.extra', [0, 2, 4, 5, 6, 8]],
      ['1.duplicate', [0, 2, 2, 4]],
      ['1.short', [0, 2]],
      ['1.multiframe', [null]],
      ['1.whole', [0, 2.5, 5, 7.5]],
    ] as [string, (number | null)[]][]) {
      check.noteInstance(uid, uid);
      await receive(uid, now, positions);
      await check.associationEnded(uid, 'released', new Date(now));
    }
    now += 3000;
    const verdicts = await check.findCompleteSeries();
    expect(verdicts.complete.sort()).toEqual(['1.multiframe', '1.whole']);
    expect(Object.fromEntries(verdicts.incomplete.map((v) => [v.seriesInstanceUid, v.reason]))).toEqual({
      '1.gap': expect.stringMatching(/gap of 4.00 mm .* usual gap is 2.00 mm: slices are missing/),
      '1.extra': expect.stringMatching(/gap of 1.00 mm .* usual gap is 2.00 mm: the slices are not evenly spaced/),
      '1.duplicate': expect.stringMatching(/two slices at one position/),
      '1.short': expect.stringMatching(/2 slices, fewer than the 3/),
    });
  });
});
