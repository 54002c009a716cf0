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

const updatableColumns = new Set(['state', 'steps', 'error', 'derived_series_uid', 'output_dir', 'attempts', 'started_at', 'finished_at']);

/** Updates a job unless it was superseded meanwhile; returns false if it was. */
export async function updateJob(
  db: Queryable,
  jobId: string,
  changes: Partial<Pick<JobRow, 'state' | 'steps' | 'error' | 'derived_series_uid' | 'output_dir'>> & {
    attempts?: number;
    started_at?: Date;
    finished_at?: Date;
  },
  now: Date,
): Promise<boolean> {
  const columns = (Object.keys(changes) as (keyof typeof changes)[]).filter((column) => updatableColumns.has(column));
  const assignments = columns.map((column, index) => `${column} = $${index + 3}`);
  const values = columns.map((column) => {
    const value = changes[column];
    return column === 'steps' ? JSON.stringify(value) : value;
  });
  const { rowCount } = await db.query(
    `UPDATE jobs SET ${[...assignments, 'updated_at = $2'].join(', ')} WHERE id = $1 AND state <> 'superseded'`,
    [jobId, now, ...values],
  );
  return rowCount > 0;
}
