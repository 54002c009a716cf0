import type { Queryable } from '../db/database.js';
import { SeriesState } from './states.js';
import { seriesTagsFromHeader, type SeriesTags } from '../route/series-tags.js';
import { studySearchValues } from './instances.js';

/** What completion reads of a series that went quiet. */
export interface QuietSeriesRow {
  series_instance_uid: string;
  last_received_at: Date;
  released_at: Date | null;
  interrupted_at: Date | null;
}

/** Series still receiving whose last instance arrived at or before `quietSince`, oldest first. */
export async function quietSeries(db: Queryable, quietSince: Date): Promise<QuietSeriesRow[]> {
  const { rows } = await db.query<QuietSeriesRow>(
    `SELECT series_instance_uid, last_received_at, released_at, interrupted_at FROM series
      WHERE state = $2 AND last_received_at <= $1
      ORDER BY last_received_at`,
    [quietSince, SeriesState.Receiving],
  );
  return rows;
}

/** How a send that carried these series ended: normally (released) or not (interrupted). */
export async function recordSendEnd(db: Queryable, seriesInstanceUids: readonly string[], ending: 'released' | 'interrupted', endedAt: Date): Promise<void> {
  const column = ending === 'released' ? 'released_at' : 'interrupted_at';
  await db.query(`UPDATE series SET ${column} = GREATEST(COALESCE(${column}, $2), $2) WHERE series_instance_uid = ANY($1::text[])`, [seriesInstanceUids, endedAt]);
}

/** A series that stays quiet without being whole: not routed, with the reason; more instances reopen it. */
export async function markIncomplete(db: Queryable, seriesInstanceUid: string, reason: string): Promise<void> {
  await db.query(`UPDATE series SET state = $3, incomplete_reason = $2 WHERE series_instance_uid = $1 AND state = $4`, [
    seriesInstanceUid,
    reason,
    SeriesState.Incomplete,
    SeriesState.Receiving,
  ]);
}

/** What routing reads of a series, locked until its transaction ends. */
export interface SeriesToRoute {
  tags: Record<string, unknown>;
  calling_ae: string;
  generation: number;
  state: string;
  instance_count: number;
  /** When retention removed its files from the spool (it can then not be processed again). */
  files_removed_at: Date | null;
}

export async function lockSeriesToRoute(db: Queryable, seriesInstanceUid: string): Promise<SeriesToRoute | undefined> {
  const { rows } = await db.query<SeriesToRoute>(
    'SELECT tags, calling_ae, generation, state, instance_count, files_removed_at FROM series WHERE series_instance_uid = $1 FOR UPDATE',
    [seriesInstanceUid],
  );
  return rows[0];
}

/** Merges header tags read again from a file of the series into the tags routing reads. */
export async function mergeSeriesTags(db: Queryable, seriesInstanceUid: string, tags: Record<string, unknown>): Promise<void> {
  await db.query('UPDATE series SET tags = tags || $2::jsonb WHERE series_instance_uid = $1', [seriesInstanceUid, JSON.stringify(tags)]);
}

/** A complete series begins its next generation (to be routed again); returns its number. */
export async function startNextGeneration(db: Queryable, seriesInstanceUid: string): Promise<number> {
  const { rows } = await db.query<{ generation: number }>('UPDATE series SET generation = generation + 1 WHERE series_instance_uid = $1 RETURNING generation', [seriesInstanceUid]);
  return rows[0].generation;
}

export function isWaitingToRoute(series: SeriesToRoute | undefined): series is SeriesToRoute {
  return series?.state === SeriesState.Receiving;
}

export async function markRouted(db: Queryable, seriesInstanceUid: string, decision: unknown, now: Date): Promise<void> {
  await db.query(`UPDATE series SET state = $4, routed_at = $2, routing = $3 WHERE series_instance_uid = $1`, [
    seriesInstanceUid,
    now,
    JSON.stringify(decision),
    SeriesState.Routed,
  ]);
}

/** Whether the node wrote this series itself (the derived_series table). */
export async function isRecordedAsDerived(db: Queryable, seriesInstanceUid: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM derived_series WHERE series_instance_uid = $1', [seriesInstanceUid]);
  return rows.length > 0;
}

/** The tags of an indexed series as routing reads them (for jobs made before jobs kept their own). */
export async function seriesTagsOfRow(db: Queryable, seriesInstanceUid: string): Promise<SeriesTags> {
  const { rows } = await db.query<{ tags: Record<string, unknown>; calling_ae: string }>('SELECT tags, calling_ae FROM series WHERE series_instance_uid = $1', [
    seriesInstanceUid,
  ]);
  return seriesTagsFromHeader(rows[0]?.tags ?? { SeriesInstanceUID: seriesInstanceUid }, rows[0]?.calling_ae, false);
}

/** Series indexed before migration 007, with one of their files, to fill the study search columns from. */
export async function seriesAwaitingStudySearch(db: Queryable, limit: number): Promise<{ seriesInstanceUid: string; path: string | null }[]> {
  const { rows } = await db.query<{ series_instance_uid: string; path: string | null }>(
    `SELECT s.series_instance_uid, (SELECT i.path FROM instances i WHERE i.series_instance_uid = s.series_instance_uid LIMIT 1) AS path
       FROM series s WHERE NOT s.search_backfilled ORDER BY s.series_instance_uid LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ seriesInstanceUid: row.series_instance_uid, path: row.path }));
}

/** Fills the study search columns (and the kept tags) of a series from its header tags. */
export async function saveStudySearch(db: Queryable, seriesInstanceUid: string, tags: Record<string, unknown>): Promise<void> {
  const [patientName, accessionNumber, studyDate, studyDescription] = studySearchValues(tags);
  await db.query(
    `UPDATE series SET patient_name = $2, accession_number = $3, study_date = $4, study_description = $5,
       tags = tags || $6::jsonb, search_backfilled = true
     WHERE series_instance_uid = $1`,
    [seriesInstanceUid, patientName, accessionNumber, studyDate, studyDescription, JSON.stringify(tags)],
  );
}
