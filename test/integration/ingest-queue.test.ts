/**
 * Nothing acknowledged is lost: an instance the node answered Success for but had not indexed when
 * it stopped is indexed at the next start, and a malformed file is set aside with its reason while
 * the rest of its batch is indexed. Time is a manual clock: the quiet before indexing and the
 * series' quiet time are stepped through, not waited for. Real PostgreSQL.
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/open-database.js';
import type { Database } from '../../src/db/database.js';
import { openSpool, type Spool } from '../../src/ingest/spool.js';
import { startIngest } from '../../src/ingest/start-ingest.js';
import { IngestQueue } from '../../src/ingest/ingest-queue.js';
import { SeriesCompletion } from '../../src/ingest/series-completion.js';
import { DEFAULT_TOLERANCES } from '../../src/imaging/assemble-geometry.js';
import { silentLogger } from '../../src/log.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { runDcmtk } from '../helpers/dcmtk.js';

const seriesDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const schema = uniqueSchema('ingest');
let db: Database;
let spool: Spool;
let sources: string[];

function ingestDeps(clock: ManualClock, onSeriesComplete: (uid: string) => Promise<void> = async () => undefined, quietMs = 0) {
  return { db, spool, log: silentLogger(), clock: clock.now, timers: clock, quietMs, unconfirmedQuietMs: 0, minSlices: 1, checkIntervalMs: 500, onSeriesComplete };
}

async function indexedCount(): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM instances');
  return rows[0]!.count;
}

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: testDatabaseUrl, schema });
  spool = await openSpool(await mkdtemp(path.join(os.tmpdir(), 'ctprep-ingest-')));
  sources = (await readdir(seriesDir)).sort().map((name) => path.join(seriesDir, name));
});
afterAll(async () => {
  await db?.close();
  await dropSchemas(schema);
});

it('indexes at start-up what was acknowledged but not indexed before a stop', async () => {
  // As the listener leaves them: complete files in incoming/, plus a never-acknowledged .part.
  for (const [index, source] of sources.slice(0, 3).entries()) {
    await copyFile(source, path.join(spool.incomingDir, `assoc-${index}.dcm`));
  }
  await writeFile(path.join(spool.incomingDir, 'assoc-9.dcm.part'), 'half an instance');
  const completed: string[] = [];
  const ingest = await startIngest(ingestDeps(new ManualClock(), async (uid) => void completed.push(uid)));
  await ingest.drained();
  expect(await indexedCount()).toBe(3);
  // The associations of a stopped run are over, how is not known: the series waits the unconfirmed quiet time (0 here).
  await ingest.checkCompletion();
  expect(completed).toHaveLength(1);
  expect(await readdir(spool.incomingDir)).toEqual([]);
  const { rows } = await db.query<{ path: string }>('SELECT path FROM instances');
  for (const row of rows) expect(row.path.startsWith(path.join(spool.root, 'series'))).toBe(true);
  await ingest.stop();
});

it('sets a malformed file aside with its reason and indexes the rest of the batch', async () => {
  const ingest = await startIngest(ingestDeps(new ManualClock()));
  const broken = path.join(spool.incomingDir, 'assoc-a-1.dcm');
  await writeFile(broken, Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('not a dataset')]));
  const good = path.join(spool.incomingDir, 'assoc-a-2.dcm');
  await copyFile(sources[3]!, good);
  for (const file of [broken, good]) ingest.acceptInstance({ path: file, callingAeTitle: 'PACS', overwrite: 'keep-first', associationId: 'a', receivedAt: new Date() });
  await ingest.drained();
  expect(await indexedCount()).toBe(4);
  const reason = await readFile(path.join(spool.root, 'rejected', 'assoc-a-1.dcm.reason.txt'), 'utf8');
  expect(reason).toMatch(/cannot parse DICOM header/);
  await ingest.stop();
});

it('routes a series once its quiet time has passed on the completion loop, not before', async () => {
  const clock = new ManualClock();
  const completed: string[] = [];
  const ingest = await startIngest(ingestDeps(clock, async (uid) => void completed.push(uid), 3000));
  await ingest.drained();
  const file = path.join(spool.incomingDir, 'assoc-q-1.dcm');
  const otherSeries = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0001-philips-B');
  const [first] = (await readdir(otherSeries)).sort();
  await copyFile(path.join(otherSeries, first!), file);
  ingest.acceptInstance({ path: file, callingAeTitle: 'PACS', overwrite: 'keep-first', associationId: 'q', receivedAt: clock.now() });
  ingest.associationEnded('q', 'released');
  await ingest.drained(); // indexing is real I/O: let it finish before stepping time
  await clock.advance(2500); // five checks, each before the 3 s quiet time
  expect(completed).toEqual([]);
  await clock.advance(500); // the check at 3 s
  expect(completed).toHaveLength(1);
  await ingest.stop();
  expect(clock.pendingTimers).toBe(0);
});

describe('while instances stream in', () => {
  const clock = new ManualClock();
  const completion = () =>
    new SeriesCompletion(db, { quietMs: 0, unconfirmedQuietMs: 0, openAssociationLimitMs: 60_000, minSlices: 1, spacing: DEFAULT_TOLERANCES, clock: clock.now });
  const queueWith = (options: { idleMs: number; backlogLimit: number }) =>
    new IngestQueue({ db, spool, completion: completion(), log: silentLogger(), timers: clock, ...options });
  const received = async (name: string, source: string) => {
    const file = path.join(spool.incomingDir, name);
    await copyFile(source, file);
    return { kind: 'instance' as const, path: file, callingAeTitle: 'PACS', associationId: name, receivedAt: new Date() };
  };

  it('waits for the link to go quiet before indexing', async () => {
    const before = await indexedCount();
    const queue = queueWith({ idleMs: 100, backlogLimit: 100 });
    queue.push(await received('b-1.dcm', sources[4]!));
    await clock.advance(60);
    queue.push(await received('b-2.dcm', sources[5]!)); // the link is busy again: the quiet starts over
    await clock.advance(60);
    expect(queue.indexing).toBe(false);
    expect(await indexedCount()).toBe(before);
    await clock.advance(40);
    expect(await indexedCount()).toBe(before + 2);
    expect(queue.idle).toBe(true);
    await queue.stop();
  });

  it('indexes at once when the association ends', async () => {
    const before = await indexedCount();
    const queue = queueWith({ idleMs: 60_000, backlogLimit: 100 });
    queue.push(await received('b-3.dcm', sources[6]!));
    expect(queue.indexing).toBe(false);
    queue.push({ kind: 'association-end', associationId: 'b-3.dcm', ending: 'released', endedAt: clock.now() });
    expect(queue.indexing).toBe(true);
    await queue.drained();
    expect(await indexedCount()).toBe(before + 1);
    await queue.stop();
  });

  it('takes a resent instance whose file retention removed as its replacement, and processes its series again', async () => {
    const { rows: [instance] } = await db.query<{ path: string; series_instance_uid: string }>('SELECT path, series_instance_uid FROM instances ORDER BY path LIMIT 1');
    const uid = instance!.series_instance_uid;
    await db.query("UPDATE series SET state = 'routed', files_removed_at = now() WHERE series_instance_uid = $1", [uid]);
    const { rows: [before] } = await db.query<{ generation: number }>('SELECT generation FROM series WHERE series_instance_uid = $1', [uid]);
    const original = await readFile(instance!.path);
    await rm(instance!.path);
    const queue = queueWith({ idleMs: 60_000, backlogLimit: 100 });
    const file = path.join(spool.incomingDir, 'r-1.dcm');
    await writeFile(file, original);
    queue.push({ kind: 'instance', path: file, callingAeTitle: 'PACS', associationId: 'r-1', receivedAt: new Date() });
    queue.push({ kind: 'association-end', associationId: 'r-1', ending: 'released', endedAt: clock.now() });
    await queue.drained();
    expect((await readFile(instance!.path)).equals(original)).toBe(true);
    const { rows: [after] } = await db.query<{ generation: number; state: string; files_removed_at: Date | null }>('SELECT generation, state, files_removed_at FROM series WHERE series_instance_uid = $1', [uid]);
    expect(after).toEqual({ generation: before!.generation + 1, state: 'receiving', files_removed_at: null });
    expect((await db.query('SELECT 1 FROM instance_conflicts')).rows).toHaveLength(0);
    await queue.stop();
  });

  it('with the caller\'s replace policy, indexes a resend with other content in place of the first copy', async () => {
    const { rows: [instance] } = await db.query<{ path: string; series_instance_uid: string; sop_instance_uid: string }>(
      'SELECT path, series_instance_uid, sop_instance_uid FROM instances ORDER BY path DESC LIMIT 1',
    );
    await db.query("UPDATE series SET state = 'routed' WHERE series_instance_uid = $1", [instance!.series_instance_uid]);
    const { rows: [before] } = await db.query<{ generation: number }>('SELECT generation FROM series WHERE series_instance_uid = $1', [instance!.series_instance_uid]);
    const file = path.join(spool.incomingDir, 'p-1.dcm');
    await copyFile(instance!.path, file);
    expect((await runDcmtk('dcmodify', ['-nb', '-m', '(0008,103e)=edited at the modality', file])).code).toBe(0);
    const edited = await readFile(file);
    const queue = queueWith({ idleMs: 60_000, backlogLimit: 100 });
    queue.push({ kind: 'instance', path: file, callingAeTitle: 'MODALITY', overwrite: 'replace', associationId: 'p-1', receivedAt: new Date() });
    queue.push({ kind: 'association-end', associationId: 'p-1', ending: 'released', endedAt: clock.now() });
    await queue.drained();
    expect((await readFile(instance!.path)).equals(edited)).toBe(true);
    expect(await readdir(spool.incomingDir)).toEqual([]);
    const { rows: [after] } = await db.query<{ generation: number }>('SELECT generation FROM series WHERE series_instance_uid = $1', [instance!.series_instance_uid]);
    expect(after!.generation).toBe(before!.generation + 1);
    const conflicts = await db.query<{ outcome: string }>('SELECT outcome FROM instance_conflicts WHERE sop_instance_uid = $1', [instance!.sop_instance_uid]);
    expect(conflicts.rows.map((row) => row.outcome)).toEqual(['replaced']);
    await queue.stop();
  });

  it('indexes at once when the backlog limit is reached, link busy or not', async () => {
    const before = await indexedCount();
    const queue = queueWith({ idleMs: 60_000, backlogLimit: 2 });
    queue.push(await received('c-1.dcm', sources[7]!));
    expect(queue.indexing).toBe(false);
    queue.push(await received('c-2.dcm', sources[8]!));
    expect(queue.indexing).toBe(true); // started by the second push, not by the clock
    await queue.drained();
    expect(await indexedCount()).toBe(before + 2);
    expect(queue.idle).toBe(true);
    await queue.stop();
  });
});
