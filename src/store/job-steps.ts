import type { Queryable } from '../db/database.js';
import { StepRunState, type StepRunStateName } from './states.js';

/** How a step of one run of a job ended, as the runner measured it. */
export interface StepRunResult {
  finishedAt: Date;
  /** Seconds the job waited on the step's own computation (its input's reading excluded). */
  busySeconds: number;
  /** Voxels of the step's output. */
  voxels: number;
  backend: string | null;
  /** id@version of the model the step ran, if any. */
  model: string | null;
}

/** One step of one run of a job, as the API serves it. */
export interface StepRun {
  run: number;
  index: number;
  kind: string;
  state: StepRunStateName;
  label: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  busySeconds: number | null;
  voxels: number | null;
  /** Output voxels per busy second. */
  voxelsPerSecond: number | null;
  backend: string | null;
  model: string | null;
  error: string | null;
  errorClass: string | null;
}

interface StepRunRow {
  run: number;
  step_index: number;
  kind: string;
  state: StepRunStateName;
  label: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  busy_seconds: number | null;
  voxels: string | number | null;
  backend: string | null;
  model: string | null;
  error: string | null;
  error_class: string | null;
}

/**
 * A worker begins the job: a new run, its steps pending, numbered after the job's earlier runs.
 * Returns the run's number.
 */
export async function beginStepRun(db: Queryable, jobId: string, kinds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ run: number }>(
    `INSERT INTO job_steps (job_id, run, step_index, kind, state)
     SELECT $1, (SELECT COALESCE(max(run), 0) + 1 FROM job_steps WHERE job_id = $1), k.ordinality - 1, k.kind, $3
       FROM unnest($2::text[]) WITH ORDINALITY AS k(kind, ordinality)
     RETURNING run`,
    [jobId, kinds, StepRunState.Pending],
  );
  return rows[0]?.run ?? 0;
}

export async function markStepRunning(db: Queryable, jobId: string, run: number, index: number, label: string, at: Date): Promise<void> {
  await db.query(`UPDATE job_steps SET state = $4, label = $5, started_at = $6 WHERE job_id = $1 AND run = $2 AND step_index = $3`, [
    jobId,
    run,
    index,
    StepRunState.Running,
    label,
    at,
  ]);
}

export async function markStepDone(db: Queryable, jobId: string, run: number, index: number, result: StepRunResult): Promise<void> {
  await db.query(
    `UPDATE job_steps SET state = $4, finished_at = $5, busy_seconds = $6, voxels = $7, backend = $8, model = $9
      WHERE job_id = $1 AND run = $2 AND step_index = $3`,
    [jobId, run, index, StepRunState.Done, result.finishedAt, result.busySeconds, result.voxels, result.backend, result.model],
  );
}

/** The step the error came from failed with it; the run's other running steps stop where they are (failed, without an error of their own). */
export async function markStepsFailed(
  db: Queryable,
  jobId: string,
  run: number,
  failed: { index: number | undefined; error: string; errorClass: string; at: Date },
): Promise<void> {
  await db.query(
    `UPDATE job_steps SET state = $3, finished_at = $4,
       error = CASE WHEN step_index = $5 THEN $6 END, error_class = CASE WHEN step_index = $5 THEN $7 END
      WHERE job_id = $1 AND run = $2 AND (state = $8 OR step_index = $5)`,
    [jobId, run, StepRunState.Failed, failed.at, failed.index ?? null, failed.error, failed.errorClass, StepRunState.Running],
  );
}

function toStepRun(row: StepRunRow): StepRun {
  const voxels = row.voxels === null ? null : Number(row.voxels);
  return {
    run: row.run,
    index: row.step_index,
    kind: row.kind,
    state: row.state,
    label: row.label,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    busySeconds: row.busy_seconds,
    voxels,
    voxelsPerSecond: voxels !== null && row.busy_seconds ? Math.round(voxels / row.busy_seconds) : null,
    backend: row.backend,
    model: row.model,
    error: row.error,
    errorClass: row.error_class,
  };
}

/** Every run of a job's steps, the newest run first, each in step order. */
export async function listStepRuns(db: Queryable, jobId: string): Promise<StepRun[]> {
  const { rows } = await db.query<StepRunRow>(
    `SELECT run, step_index, kind, state, label, started_at, finished_at, busy_seconds, voxels, backend, model, error, error_class
       FROM job_steps WHERE job_id = $1 ORDER BY run DESC, step_index`,
    [jobId],
  );
  return rows.map(toStepRun);
}
