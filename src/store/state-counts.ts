import type { Queryable } from '../db/database.js';
import { JobState } from './states.js';

/** Rows of a table by state, every known state present (zero when none). */
export async function countByState(db: Queryable, table: 'series' | 'jobs' | 'deliveries', states: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ state: string; count: number }>(`SELECT state, count(*)::int AS count FROM ${table} GROUP BY state`);
  const counts = new Map(states.map((state) => [state, 0]));
  for (const row of rows) counts.set(row.state, row.count);
  return counts;
}

/** Instances the index holds, and their bytes (a resent instance counts once). */
export async function instanceTotals(db: Queryable): Promise<{ count: number; bytes: number }> {
  const { rows } = await db.query<{ count: number; bytes: string }>('SELECT count(*)::int AS count, COALESCE(sum(size_bytes), 0)::bigint AS bytes FROM instances');
  return { count: rows[0]?.count ?? 0, bytes: Number(rows[0]?.bytes ?? 0) };
}

/** Whether the database answers. */
export async function databaseAnswers(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

/** When the oldest job still waiting in the queue was made; undefined when none waits. */
export async function oldestQueuedJob(db: Queryable): Promise<Date | undefined> {
  const { rows } = await db.query<{ oldest: Date | null }>('SELECT min(created_at) AS oldest FROM jobs WHERE state = $1', [JobState.Queued]);
  return rows[0]?.oldest ?? undefined;
}
