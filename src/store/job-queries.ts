import type { Queryable } from '../db/database.js';
import type { JobProgress, StepState } from './jobs.js';
import { listStepRuns, type StepRun } from './job-steps.js';
import type { Page } from './page.js';
import type { JobStateName } from './states.js';

export interface JobSummaryRow {
  id: string;
  series_instance_uid: string;
  series_generation: number;
  rule_id: string;
  rule_version: number | null;
  state: JobStateName;
  steps: StepState[];
  attempts: number;
  error: string | null;
  error_class: string | null;
  derived_series_uid: string | null;
  worker: string | null;
  quality: Record<string, unknown> | null;
  progress: JobProgress | null;
  instance_count: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export interface JobSummary {
  id: string;
  seriesInstanceUid: string;
  seriesGeneration: number;
  ruleId: string;
  /** The version of the rule the job was made from; null for jobs made before rules had versions. */
  ruleVersion: number | null;
  state: JobStateName;
  steps: StepState[];
  attempts: number;
  error: string | null;
  /** Of a processing error: input (not retried), unavailable (retried) or bug; null otherwise. */
  errorClass: string | null;
  derivedSeriesUid: string | null;
  /** The worker (host/pid/id) that ran or runs the job's last attempt. */
  worker: string | null;
  /** Noise and LAA-950 before and after, data consistency, calibration: see jobs/quality-report.ts. */
  quality: Record<string, unknown> | null;
  /**
   * Slices of the derived series written of the total; while running, the seconds left if the
   * remaining slices take as long as those done (from the job's start).
   */
  progress: { done: number; total: number; etaSeconds: number | null } | null;
  instanceCount: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

interface DeliveryRow {
  id: string;
  job_id: string;
  destination: string;
  state: string;
  attempts: number;
  last_error: string | null;
  instances_sent: number;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

export interface DeliverySummary {
  id: string;
  jobId: string;
  destination: string;
  state: string;
  attempts: number;
  lastError: string | null;
  instancesSent: number;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface JobWithDeliveries extends JobSummary {
  seriesDescription: string | null;
  deliveries: DeliverySummary[];
}

export interface JobDetail extends JobWithDeliveries {
  studyInstanceUid: string;
  /** The rule as it was when the job was made. */
  rule: unknown;
  /** Each step of each run of the job (newest run first): state, times, busy seconds, backend, model, error. */
  stepRuns: StepRun[];
}

export const jobSummaryColumns = `j.id, j.series_instance_uid, j.series_generation, j.rule_id, j.rule_version, j.state, j.steps, j.attempts,
  j.error, j.error_class, j.derived_series_uid, j.worker, j.quality, j.progress, j.instance_count, j.created_at, j.started_at, j.finished_at, j.updated_at`;

function progressOf(row: JobSummaryRow): JobSummary['progress'] {
  const { progress, started_at: started } = row;
  if (!progress) return null;
  const elapsed = started ? (Date.parse(progress.at) - started.getTime()) / 1000 : NaN;
  const running = row.state === 'running' && progress.done > 0 && progress.done < progress.total && elapsed >= 0;
  return { done: progress.done, total: progress.total, etaSeconds: running ? Math.round((elapsed / progress.done) * (progress.total - progress.done)) : null };
}

export function toJobSummary(row: JobSummaryRow): JobSummary {
  return {
    id: row.id,
    seriesInstanceUid: row.series_instance_uid,
    seriesGeneration: row.series_generation,
    ruleId: row.rule_id,
    ruleVersion: row.rule_version,
    state: row.state,
    steps: row.steps,
    attempts: row.attempts,
    error: row.error,
    errorClass: row.error_class,
    derivedSeriesUid: row.derived_series_uid,
    worker: row.worker,
    quality: row.quality,
    progress: progressOf(row),
    instanceCount: row.instance_count,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

function toDeliverySummary(row: DeliveryRow): DeliverySummary {
  return {
    id: row.id,
    jobId: row.job_id,
    destination: row.destination,
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
    instancesSent: row.instances_sent,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

/** The deliveries of each job asked for, by job id. */
export async function deliveriesOf(db: Queryable, jobIds: readonly string[]): Promise<Map<string, DeliverySummary[]>> {
  const byJob = new Map<string, DeliverySummary[]>(jobIds.map((id) => [id, []]));
  if (jobIds.length === 0) return byJob;
  const { rows } = await db.query<DeliveryRow>(
    `SELECT id, job_id, destination, state, attempts, last_error, instances_sent, created_at, updated_at, delivered_at
       FROM deliveries WHERE job_id = ANY($1::uuid[]) ORDER BY destination, id`,
    [jobIds],
  );
  for (const row of rows) byJob.get(row.job_id)?.push(toDeliverySummary(row));
  return byJob;
}

/** Jobs newest first, each with its deliveries. */
export async function listJobs(
  db: Queryable,
  filter: { state?: JobStateName } & Page,
): Promise<{ jobs: JobWithDeliveries[]; total: number }> {
  const state = filter.state ?? null;
  const { rows } = await db.query<JobSummaryRow & { series_description: string | null }>(
    `SELECT ${jobSummaryColumns}, s.series_description
       FROM jobs j JOIN series s ON s.series_instance_uid = j.series_instance_uid
      WHERE ($1::text IS NULL OR j.state = $1)
      ORDER BY j.created_at DESC, j.id LIMIT $2 OFFSET $3`,
    [state, filter.limit, filter.offset],
  );
  const count = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM jobs WHERE ($1::text IS NULL OR state = $1)', [state]);
  const deliveries = await deliveriesOf(db, rows.map((row) => row.id));
  const jobs = rows.map((row) => ({
    ...toJobSummary(row),
    seriesDescription: row.series_description,
    deliveries: deliveries.get(row.id) ?? [],
  }));
  return { jobs, total: count.rows[0]?.total ?? 0 };
}

export async function getJob(db: Queryable, jobId: string): Promise<JobDetail | undefined> {
  const { rows } = await db.query<JobSummaryRow & { series_description: string | null; study_instance_uid: string; rule: unknown }>(
    `SELECT ${jobSummaryColumns}, j.rule, s.series_description, s.study_instance_uid
       FROM jobs j JOIN series s ON s.series_instance_uid = j.series_instance_uid WHERE j.id = $1`,
    [jobId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const deliveries = await deliveriesOf(db, [row.id]);
  return {
    ...toJobSummary(row),
    seriesDescription: row.series_description,
    studyInstanceUid: row.study_instance_uid,
    rule: row.rule,
    deliveries: deliveries.get(row.id) ?? [],
    stepRuns: await listStepRuns(db, row.id),
  };
}

export async function getDelivery(db: Queryable, deliveryId: string): Promise<DeliverySummary | undefined> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT id, job_id, destination, state, attempts, last_error, instances_sent, created_at, updated_at, delivered_at
       FROM deliveries WHERE id = $1`,
    [deliveryId],
  );
  return rows[0] && toDeliverySummary(rows[0]);
}
