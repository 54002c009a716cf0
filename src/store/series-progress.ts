import type { Queryable } from '../db/database.js';
import type { JobStateName, SeriesStateName } from './states.js';

/** A job of a series' current generation, as a bulk run follows it. */
export interface CurrentJob {
  id: string;
  ruleId: string;
  state: JobStateName;
  error: string | null;
  derivedSeriesUid: string | null;
  outputDir: string | null;
  /** Retention removed the derived files. */
  outputRemoved: boolean;
}

/** How far the node got with a series: received, routed, and the jobs of its current generation. */
export interface SeriesProgress {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string | null;
  state: SeriesStateName;
  instanceCount: number;
  incompleteReason: string | null;
  /** series.routing: the stored routing decision (matched rules, skipped reason). */
  routing: { matched?: unknown[]; skippedReason?: string } | null;
  jobs: CurrentJob[];
}

/**
 * Progress of each series asked for that the node has indexed, keyed by Series Instance UID, and
 * which of them the node derived itself (the derived_series table).
 */
export async function seriesProgress(db: Queryable, seriesInstanceUids: readonly string[]): Promise<{ progress: Map<string, SeriesProgress>; derived: Set<string> }> {
  const { rows } = await db.query<SeriesProgress>(
    `SELECT s.series_instance_uid AS "seriesInstanceUid", s.study_instance_uid AS "studyInstanceUid", s.patient_id AS "patientId",
            s.state, s.instance_count AS "instanceCount", s.incomplete_reason AS "incompleteReason", s.routing,
            COALESCE((SELECT json_agg(json_build_object(
                        'id', j.id, 'ruleId', j.rule_id, 'state', j.state, 'error', j.error, 'derivedSeriesUid', j.derived_series_uid,
                        'outputDir', j.output_dir, 'outputRemoved', j.output_removed_at IS NOT NULL) ORDER BY j.created_at, j.id)
                        FROM jobs j WHERE j.series_instance_uid = s.series_instance_uid AND j.series_generation = s.generation), '[]') AS jobs
       FROM series s WHERE s.series_instance_uid = ANY($1::text[])`,
    [seriesInstanceUids],
  );
  const derived = await db.query<{ series_instance_uid: string }>('SELECT series_instance_uid FROM derived_series WHERE series_instance_uid = ANY($1::text[])', [
    seriesInstanceUids,
  ]);
  return {
    progress: new Map(rows.map((row) => [row.seriesInstanceUid, row])),
    derived: new Set(derived.rows.map((row) => row.series_instance_uid)),
  };
}
