import type { Queryable } from '../db/database.js';
import type { Page } from './page.js';
import type { SeriesStateName } from './states.js';
import { summarizeRouting, type RoutingSummary } from '../route/routing-summary.js';
import { jobSummaryColumns, toJobSummary, type JobSummary, type JobSummaryRow } from './job-queries.js';

interface SeriesRow {
  series_instance_uid: string;
  study_instance_uid: string;
  patient_id: string | null;
  modality: string | null;
  manufacturer: string | null;
  convolution_kernel: string | null;
  rows: number | null;
  columns: number | null;
  slice_thickness: number | null;
  body_part_examined: string | null;
  series_description: string | null;
  calling_ae: string;
  state: SeriesStateName;
  generation: number;
  instance_count: number;
  first_received_at: Date;
  last_received_at: Date;
  routed_at: Date | null;
  routing: unknown;
  job_states: { id: string; ruleId: string; state: string }[] | null;
}

export interface SeriesSummary {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string | null;
  modality: string | null;
  manufacturer: string | null;
  convolutionKernel: string | null;
  rows: number | null;
  columns: number | null;
  sliceThickness: number | null;
  bodyPartExamined: string | null;
  seriesDescription: string | null;
  callingAeTitle: string;
  state: SeriesStateName;
  generation: number;
  instanceCount: number;
  firstReceivedAt: Date;
  lastReceivedAt: Date;
  routedAt: Date | null;
  routing: RoutingSummary | null;
  /** Every job made for the series (all generations), oldest first. */
  jobs: { id: string; ruleId: string; state: string }[];
}

export interface SeriesDetail extends Omit<SeriesSummary, 'jobs'> {
  tags: unknown;
  /** The full stored decision: every rule evaluated, with why it did or did not match. */
  routingDecision: unknown;
  jobs: JobSummary[];
}

const seriesColumns = `s.series_instance_uid, s.study_instance_uid, s.patient_id, s.modality, s.manufacturer,
  s.convolution_kernel, s.rows, s.columns, s.slice_thickness, s.body_part_examined, s.series_description,
  s.calling_ae, s.state, s.generation, s.instance_count, s.first_received_at, s.last_received_at, s.routed_at, s.routing,
  (SELECT json_agg(json_build_object('id', j.id, 'ruleId', j.rule_id, 'state', j.state) ORDER BY j.created_at, j.id)
     FROM jobs j WHERE j.series_instance_uid = s.series_instance_uid) AS job_states`;

function toSeriesSummary(row: SeriesRow): SeriesSummary {
  return {
    seriesInstanceUid: row.series_instance_uid,
    studyInstanceUid: row.study_instance_uid,
    patientId: row.patient_id,
    modality: row.modality,
    manufacturer: row.manufacturer,
    convolutionKernel: row.convolution_kernel,
    rows: row.rows,
    columns: row.columns,
    sliceThickness: row.slice_thickness,
    bodyPartExamined: row.body_part_examined,
    seriesDescription: row.series_description,
    callingAeTitle: row.calling_ae,
    state: row.state,
    generation: row.generation,
    instanceCount: row.instance_count,
    firstReceivedAt: row.first_received_at,
    lastReceivedAt: row.last_received_at,
    routedAt: row.routed_at,
    routing: summarizeRouting(row.routing),
    jobs: row.job_states ?? [],
  };
}

/** Series most recently receiving first. */
export async function listSeries(
  db: Queryable,
  filter: { state?: SeriesStateName } & Page,
): Promise<{ series: SeriesSummary[]; total: number }> {
  const state = filter.state ?? null;
  const { rows } = await db.query<SeriesRow>(
    `SELECT ${seriesColumns} FROM series s WHERE ($1::text IS NULL OR s.state = $1)
      ORDER BY s.last_received_at DESC, s.series_instance_uid LIMIT $2 OFFSET $3`,
    [state, filter.limit, filter.offset],
  );
  const count = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM series WHERE ($1::text IS NULL OR state = $1)', [state]);
  return { series: rows.map(toSeriesSummary), total: count.rows[0]?.total ?? 0 };
}

export async function getSeries(db: Queryable, seriesInstanceUid: string): Promise<SeriesDetail | undefined> {
  const { rows } = await db.query<SeriesRow & { tags: unknown }>(
    `SELECT ${seriesColumns}, s.tags FROM series s WHERE s.series_instance_uid = $1`,
    [seriesInstanceUid],
  );
  const row = rows[0];
  if (!row) return undefined;
  const jobs = await db.query<JobSummaryRow>(
    `SELECT ${jobSummaryColumns} FROM jobs j WHERE j.series_instance_uid = $1 ORDER BY j.created_at, j.id`,
    [seriesInstanceUid],
  );
  return { ...toSeriesSummary(row), tags: row.tags, routingDecision: row.routing, jobs: jobs.rows.map(toJobSummary) };
}

/** The stored header and calling AE of an indexed series, for the rules dry run. */
export async function getSeriesHeader(
  db: Queryable,
  seriesInstanceUid: string,
): Promise<{ tags: Record<string, unknown>; callingAeTitle: string; derived: boolean } | undefined> {
  const { rows } = await db.query<{ tags: Record<string, unknown>; calling_ae: string; derived: boolean }>(
    `SELECT s.tags, s.calling_ae,
            EXISTS (SELECT 1 FROM derived_series d WHERE d.series_instance_uid = s.series_instance_uid) AS derived
       FROM series s WHERE s.series_instance_uid = $1`,
    [seriesInstanceUid],
  );
  const row = rows[0];
  return row && { tags: row.tags, callingAeTitle: row.calling_ae, derived: row.derived };
}
