import type { Queryable } from '../db/database.js';
import { SeriesState } from './states.js';
import { seriesTagsFromHeader, type SeriesTags } from '../route/series-tags.js';

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
}

export async function lockSeriesToRoute(db: Queryable, seriesInstanceUid: string): Promise<SeriesToRoute | undefined> {
  const { rows } = await db.query<SeriesToRoute>(
    'SELECT tags, calling_ae, generation, state, instance_count FROM series WHERE series_instance_uid = $1 FOR UPDATE',
    [seriesInstanceUid],
  );
  return rows[0];
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
