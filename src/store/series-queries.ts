import type { Queryable } from '../db/database.js';
import type { Page } from './page.js';
import type { SeriesStateName } from './states.js';
import { summarizeRouting, type RoutingSummary } from '../route/routing-summary.js';
import { deliveriesOf, jobSummaryColumns, toJobSummary, type DeliverySummary, type JobSummary, type JobSummaryRow } from './job-queries.js';

interface SeriesRow {
  series_instance_uid: string;
  study_instance_uid: string;
  patient_id: string | null;
  patient_name: string | null;
  accession_number: string | null;
  study_date: string | null;
  study_description: string | null;
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
  incomplete_reason: string | null;
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
  patientName: string | null;
  accessionNumber: string | null;
  /** YYYYMMDD, as DICOM writes it. */
  studyDate: string | null;
  studyDescription: string | null;
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
  /** Why a series in state incomplete is not whole (a gap, two slices at one position, too few slices). */
  incompleteReason: string | null;
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
  /** Every job of the series, oldest first, with its derived series and deliveries. */
  jobs: (JobSummary & { deliveries: DeliverySummary[] })[];
}

const seriesColumns = `s.series_instance_uid, s.study_instance_uid, s.patient_id, s.patient_name, s.accession_number,
  s.study_date, s.study_description, s.modality, s.manufacturer,
  s.convolution_kernel, s.rows, s.columns, s.slice_thickness, s.body_part_examined, s.series_description,
  s.calling_ae, s.state, s.incomplete_reason, s.generation, s.instance_count, s.first_received_at, s.last_received_at, s.routed_at, s.routing,
  (SELECT json_agg(json_build_object('id', j.id, 'ruleId', j.rule_id, 'state', j.state) ORDER BY j.created_at, j.id)
     FROM jobs j WHERE j.series_instance_uid = s.series_instance_uid) AS job_states`;

function toSeriesSummary(row: SeriesRow): SeriesSummary {
  return {
    seriesInstanceUid: row.series_instance_uid,
    studyInstanceUid: row.study_instance_uid,
    patientId: row.patient_id,
    patientName: row.patient_name,
    accessionNumber: row.accession_number,
    studyDate: row.study_date,
    studyDescription: row.study_description,
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
    incompleteReason: row.incomplete_reason,
    generation: row.generation,
    instanceCount: row.instance_count,
    firstReceivedAt: row.first_received_at,
    lastReceivedAt: row.last_received_at,
    routedAt: row.routed_at,
    routing: summarizeRouting(row.routing),
    jobs: row.job_states ?? [],
  };
}

/** What a series list can be narrowed to; text values ending with '*' are prefixes. */
export interface SeriesSearch {
  state?: SeriesStateName;
  /** Any of patient ID, accession, Study or Series UID (exact or prefix), or the start of patient name or study description. */
  q?: string;
  patientId?: string;
  patientName?: string;
  accessionNumber?: string;
  studyInstanceUid?: string;
  studyDescription?: string;
  /** YYYYMMDD, inclusive. */
  studyDateFrom?: string;
  studyDateTo?: string;
}

/** Series most recently receiving first, narrowed by the search, with how many match in all. */
export async function listSeries(db: Queryable, filter: SeriesSearch & Page): Promise<{ series: SeriesSummary[]; total: number }> {
  const values: unknown[] = [];
  const value = (v: unknown) => `$${values.push(v)}`;
  const like = (text: string) => `${text.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  /** Exact, or a prefix when the value ends with '*'; case-insensitive where people type names. */
  const matches = (column: string, text: string, caseless = false) => {
    const [left, right] = caseless ? [`lower(${column})`, (p: string) => `lower(${p})`] : [column, (p: string) => p];
    return text.endsWith('*') ? `${left} LIKE ${right(value(like(text)))}` : `${left} = ${right(value(text))}`;
  };
  const conditions: string[] = [];
  if (filter.state) conditions.push(`s.state = ${value(filter.state)}`);
  if (filter.patientId) conditions.push(matches('s.patient_id', filter.patientId));
  if (filter.patientName) conditions.push(matches('s.patient_name', filter.patientName, true));
  if (filter.accessionNumber) conditions.push(matches('s.accession_number', filter.accessionNumber));
  if (filter.studyInstanceUid) conditions.push(matches('s.study_instance_uid', filter.studyInstanceUid));
  if (filter.studyDescription) conditions.push(matches('s.study_description', filter.studyDescription, true));
  if (filter.studyDateFrom) conditions.push(`s.study_date >= ${value(filter.studyDateFrom)}`);
  if (filter.studyDateTo) conditions.push(`s.study_date <= ${value(filter.studyDateTo)}`);
  if (filter.q) {
    const q = filter.q;
    const start = q.endsWith('*') ? q : `${q}*`;
    conditions.push(`(${[
      matches('s.patient_id', q), matches('s.accession_number', q), matches('s.study_instance_uid', q), matches('s.series_instance_uid', q),
      matches('s.patient_name', start, true), matches('s.study_description', start, true),
    ].join(' OR ')})`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const count = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM series s ${where}`, values);
  const { rows } = await db.query<SeriesRow>(
    `SELECT ${seriesColumns} FROM series s ${where}
      ORDER BY s.last_received_at DESC, s.series_instance_uid LIMIT ${value(filter.limit)} OFFSET ${value(filter.offset)}`,
    values,
  );
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
  const deliveries = await deliveriesOf(db, jobs.rows.map((job) => job.id));
  const withDeliveries = jobs.rows.map((job) => ({ ...toJobSummary(job), deliveries: deliveries.get(job.id) ?? [] }));
  return { ...toSeriesSummary(row), tags: row.tags, routingDecision: row.routing, jobs: withDeliveries };
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
