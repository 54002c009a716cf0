import type { Queryable } from '../db/database.js';
import type { Rule } from '../route/rule.js';
import type { SeriesTags } from '../route/series-tags.js';
import { DeliveryState, JobState, StepRunState, type JobStateName, type StepRunStateName } from './states.js';

/** What a job records of one of its steps as it runs. */
export interface StepState {
  kind: string;
  state: StepRunStateName;
  label?: string;
  derivation?: string;
  report?: Record<string, unknown>;
}

export interface JobProgress {
  done: number;
  total: number;
  /** ISO time of this count. */
  at: string;
}

/** A row of the jobs table. */
export interface JobRow {
  id: string;
  series_instance_uid: string;
  series_generation: number;
  rule_id: string;
  /** The rule as it was when the job was made. */
  rule: Pick<Rule, 'id' | 'steps' | 'destinations'>;
  /** The tags routing matched on; null for jobs made before they were kept. */
  series_tags: SeriesTags | null;
  state: JobStateName;
  steps: StepState[];
  attempts: number;
  error: string | null;
  /** Of a processing error: input, unavailable or bug (queue/retry-policy.ts). */
  error_class: string | null;
  derived_series_uid: string | null;
  output_dir: string | null;
  /** What the job measured on its output (jobs/quality-report.ts); null until it is written. */
  quality: Record<string, unknown> | null;
  /** Slices of the derived series written, of how many, and when that was said. */
  progress: JobProgress | null;
  worker: string | null;
  heartbeat_at: Date | null;
  /** Instances of the series when the job was made. */
  instance_count: number;
}

export async function loadJob(db: Queryable, jobId: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [jobId]);
  return rows[0];
}

/** A queued job for one generation of a series and one rule. */
export async function createJob(
  db: Queryable,
  job: { id: string; seriesInstanceUid: string; generation: number; rule: Rule; seriesTags: SeriesTags; instanceCount: number; now: Date },
): Promise<void> {
  const steps: StepState[] = job.rule.steps.map((step) => ({ kind: step.kind, state: StepRunState.Pending }));
  await db.query(
    `INSERT INTO jobs (id, series_instance_uid, series_generation, rule_id, rule_version, rule, series_tags, state, steps, instance_count, created_at, updated_at)
     VALUES ($1, $2, $3, $4, (SELECT version FROM rules WHERE id = $4), $5, $6, $7, $8, $9, $10, $10)`,
    [
      job.id,
      job.seriesInstanceUid,
      job.generation,
      job.rule.id,
      JSON.stringify(job.rule),
      JSON.stringify(job.seriesTags),
      JobState.Queued,
      JSON.stringify(steps),
      job.instanceCount,
      job.now,
    ],
  );
}

/**
 * Takes a job to run it: a queued one, or a running one whose holder has been silent longer than
 * staleMs (it died). At most one process holds a job; undefined when it is not ours to run.
 */
export async function claimJob(db: Queryable, jobId: string, holder: { workerId: string; staleMs: number }, now: Date): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET state = $5, worker = $2, heartbeat_at = $3, started_at = $3, attempts = attempts + 1,
       error = NULL, error_class = NULL, updated_at = $3
     WHERE id = $1 AND (state = $6 OR (state = $5 AND (heartbeat_at IS NULL OR heartbeat_at < $4)))
     RETURNING *`,
    [jobId, holder.workerId, now, new Date(now.getTime() - holder.staleMs), JobState.Running, JobState.Queued],
  );
  return rows[0];
}

/** The holder is alive; false when the job is no longer its own. */
export async function touchJob(db: Queryable, jobId: string, workerId: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE jobs SET heartbeat_at = $3 WHERE id = $1 AND worker = $2 AND state = $4`, [jobId, workerId, now, JobState.Running]);
  return rowCount > 0;
}

const updatableColumns = ['state', 'steps', 'error', 'error_class', 'derived_series_uid', 'output_dir', 'quality', 'progress', 'attempts', 'started_at', 'finished_at'] as const;
const jsonColumns: readonly string[] = ['steps', 'quality', 'progress'];
type JobChanges = Partial<Pick<JobRow, 'state' | 'steps' | 'error' | 'error_class' | 'derived_series_uid' | 'output_dir' | 'quality' | 'progress' | 'attempts'>> & {
  started_at?: Date;
  finished_at?: Date;
};

/** One job replaced by another (a retry with the rule as it is now): superseded, saying why. */
export async function supersedeJob(db: Queryable, jobId: string, reason: string, now: Date): Promise<void> {
  await db.query('UPDATE jobs SET state = $3, error = $4, updated_at = $2 WHERE id = $1', [jobId, now, JobState.Superseded, reason]);
}

/** Updates a job unless it was superseded meanwhile, or (with `owner`) taken by another worker; returns false if so. */
export async function updateJob(db: Queryable, jobId: string, changes: JobChanges, now: Date, owner?: string): Promise<boolean> {
  const columns = updatableColumns.filter((column) => column in changes);
  const assignments = columns.map((column, index) => `${column} = $${index + 5}`);
  const values = columns.map((column) => (jsonColumns.includes(column) ? JSON.stringify(changes[column]) : changes[column]));
  const { rowCount } = await db.query(
    `UPDATE jobs SET ${[...assignments, 'updated_at = $2'].join(', ')}
      WHERE id = $1 AND state <> $4 AND ($3::text IS NULL OR worker = $3)`,
    [jobId, now, owner ?? null, JobState.Superseded, ...values],
  );
  return rowCount > 0;
}

/**
 * Jobs of an earlier generation stop where they are, with their pending deliveries; a running one
 * checks before it delivers. `because` says why a new generation was made.
 */
export async function supersedeEarlierJobs(db: Queryable, seriesInstanceUid: string, generation: number, now: Date, because: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = $4, updated_at = $3, error = COALESCE(error, 'superseded: ' || $6)
     WHERE series_instance_uid = $1 AND series_generation < $2 AND state = ANY($5::text[])`,
    [seriesInstanceUid, generation, now, JobState.Superseded, [JobState.Queued, JobState.Running, JobState.Delivering], because],
  );
  await db.query(
    `UPDATE deliveries SET state = $4, updated_at = $3
     WHERE state = ANY($5::text[]) AND job_id IN
       (SELECT id FROM jobs WHERE series_instance_uid = $1 AND series_generation < $2)`,
    [seriesInstanceUid, generation, now, DeliveryState.Superseded, [DeliveryState.Pending, DeliveryState.Sending]],
  );
}

/** The job's derived series is written: it is delivering, and the node remembers the series as its own. */
export async function markJobDelivering(
  db: Queryable,
  jobId: string,
  written: { steps: StepState[]; derivedSeriesUid: string; outputDir: string; quality: object },
  now: Date,
  owner: string,
): Promise<boolean> {
  const changes = { state: JobState.Delivering, steps: written.steps, derived_series_uid: written.derivedSeriesUid, output_dir: written.outputDir, quality: { ...written.quality } };
  const updated = await updateJob(db, jobId, changes, now, owner);
  if (!updated) return false;
  await db.query(
    `INSERT INTO derived_series (series_instance_uid, job_id, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (series_instance_uid) DO UPDATE SET job_id = EXCLUDED.job_id`,
    [written.derivedSeriesUid, jobId, now],
  );
  return true;
}

/** Done when every delivery of the job is done. */
export async function markJobDoneIfDelivered(db: Queryable, jobId: string, now: Date): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = $3, finished_at = $2, updated_at = $2
      WHERE id = $1 AND state = $4 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE job_id = $1 AND state <> $5)`,
    [jobId, now, JobState.Done, JobState.Delivering, DeliveryState.Done],
  );
}

export async function markJobFailedInDelivery(db: Queryable, jobId: string, error: string, now: Date): Promise<void> {
  await db.query(`UPDATE jobs SET state = $4, error = $2, finished_at = $3, updated_at = $3 WHERE id = $1 AND state = $5`, [
    jobId,
    error,
    now,
    JobState.Failed,
    JobState.Delivering,
  ]);
}

/** A job a person retries starts over: queued, no error, no holder. */
export async function resetJobForRetry(db: Queryable, jobId: string, now: Date): Promise<void> {
  await db.query(`UPDATE jobs SET state = $3, error = NULL, error_class = NULL, attempts = 0, finished_at = NULL, worker = NULL, updated_at = $2 WHERE id = $1`, [
    jobId,
    now,
    JobState.Queued,
  ]);
}

/** Locks a job for a decision about it (retry). */
export async function lockJob(db: Queryable, jobId: string): Promise<Pick<JobRow, 'state' | 'worker' | 'heartbeat_at'> | undefined> {
  const { rows } = await db.query<Pick<JobRow, 'state' | 'worker' | 'heartbeat_at'>>('SELECT state, worker, heartbeat_at FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
  return rows[0];
}

/** Running jobs whose holder has been silent since before `stale`: queued again; returns them with their dead holder. */
export async function requeueStaleJobs(db: Queryable, stale: Date, now: Date): Promise<{ id: string; worker: string | null }[]> {
  const { rows } = await db.query<{ id: string; worker: string | null }>(
    `UPDATE jobs SET state = $3, updated_at = $2, error = 'its worker stopped answering; queued again'
      WHERE state = $4 AND (heartbeat_at IS NULL OR heartbeat_at < $1)
      RETURNING id, worker`,
    [stale, now, JobState.Queued, JobState.Running],
  );
  return rows;
}
