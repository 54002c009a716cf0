import type { Queryable } from '../db/database.js';

export type JobState = 'queued' | 'running' | 'delivering' | 'done' | 'failed' | 'superseded';

export interface StepState {
  kind: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  label?: string;
  derivation?: string;
  report?: Record<string, unknown>;
}

export interface JobRow {
  id: string;
  series_instance_uid: string;
  series_generation: number;
  rule_id: string;
  rule: { id: string; steps: { kind: string; options?: Record<string, unknown> }[]; destinations: string[] };
  state: JobState;
  steps: StepState[];
  attempts: number;
  error: string | null;
  derived_series_uid: string | null;
  output_dir: string | null;
}

export async function loadJob(db: Queryable, jobId: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [jobId]);
  return rows[0];
}

/**
 * Takes a job to run it: a queued one, or a running one whose holder has been silent longer than
 * staleMs (it died). At most one process holds a job; undefined when it is not ours to run.
 */
export async function claimJob(db: Queryable, jobId: string, holder: { workerId: string; staleMs: number }, now: Date): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET state = 'running', worker = $2, heartbeat_at = $3, started_at = $3, attempts = attempts + 1,
       error = NULL, updated_at = $3
     WHERE id = $1 AND (state = 'queued' OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $4)))
     RETURNING *`,
    [jobId, holder.workerId, now, new Date(now.getTime() - holder.staleMs)],
  );
  return rows[0];
}

/** The holder is alive; false when the job is no longer its own. */
export async function touchJob(db: Queryable, jobId: string, workerId: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE jobs SET heartbeat_at = $3 WHERE id = $1 AND worker = $2 AND state = 'running'`, [jobId, workerId, now]);
  return rowCount > 0;
}

const updatableColumns = new Set(['state', 'steps', 'error', 'derived_series_uid', 'output_dir', 'attempts', 'started_at', 'finished_at']);

/** Updates a job unless it was superseded meanwhile, or (with `owner`) taken by another worker; returns false if so. */
export async function updateJob(
  db: Queryable,
  jobId: string,
  changes: Partial<Pick<JobRow, 'state' | 'steps' | 'error' | 'derived_series_uid' | 'output_dir'>> & {
    attempts?: number;
    started_at?: Date;
    finished_at?: Date;
  },
  now: Date,
  owner?: string,
): Promise<boolean> {
  const columns = (Object.keys(changes) as (keyof typeof changes)[]).filter((column) => updatableColumns.has(column));
  const assignments = columns.map((column, index) => `${column} = $${index + 4}`);
  const values = columns.map((column) => {
    const value = changes[column];
    return column === 'steps' ? JSON.stringify(value) : value;
  });
  const { rowCount } = await db.query(
    `UPDATE jobs SET ${[...assignments, 'updated_at = $2'].join(', ')}
      WHERE id = $1 AND state <> 'superseded' AND ($3::text IS NULL OR worker = $3)`,
    [jobId, now, owner ?? null, ...values],
  );
  return rowCount > 0;
}
