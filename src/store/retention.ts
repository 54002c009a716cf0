import type { Queryable } from '../db/database.js';
import { JobState, SeriesState } from './states.js';

/** Delivered (or superseded) jobs whose derived files are still on disk, oldest first, finished before `before`; a failed job keeps them for its delivery's retry. */
export async function jobOutputsToRemove(db: Queryable, before: Date, limit: number): Promise<{ id: string; outputDir: string }[]> {
  const { rows } = await db.query<{ id: string; output_dir: string }>(
    `SELECT id, output_dir FROM jobs
      WHERE output_dir IS NOT NULL AND output_removed_at IS NULL AND finished_at < $1 AND state = ANY($2::text[])
      ORDER BY finished_at LIMIT $3`,
    [before, [JobState.Done, JobState.Superseded], limit],
  );
  return rows.map((row) => ({ id: row.id, outputDir: row.output_dir }));
}

export async function markJobOutputRemoved(db: Queryable, jobId: string, now: Date): Promise<void> {
  await db.query('UPDATE jobs SET output_removed_at = $2 WHERE id = $1', [jobId, now]);
}

/**
 * Routed series received before `before` whose every job of the current generation is done (all
 * deliveries made) or that no rule matched, with their files still in the spool, oldest first.
 */
export async function seriesFilesToRemove(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ series_instance_uid: string }>(
    `SELECT s.series_instance_uid FROM series s
      WHERE s.state = $2 AND s.files_removed_at IS NULL AND s.last_received_at < $1
        AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.series_instance_uid = s.series_instance_uid
                          AND j.series_generation = s.generation AND j.state <> $3)
      ORDER BY s.last_received_at LIMIT $4`,
    [before, SeriesState.Routed, JobState.Done, limit],
  );
  return rows.map((row) => row.series_instance_uid);
}

export async function markSeriesFilesRemoved(db: Queryable, seriesInstanceUid: string, now: Date): Promise<void> {
  await db.query('UPDATE series SET files_removed_at = $2 WHERE series_instance_uid = $1', [seriesInstanceUid, now]);
}
