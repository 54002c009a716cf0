import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { deliverQueue, enqueueIn, processQueue } from './queue.js';

/**
 * Runs a finished or failed job again from its spooled series (a person asked for it), or one
 * whose worker stopped answering (stuck). A job that is queued, running on a live worker, or was
 * superseded by a newer one, is not retried.
 */
export async function retryJob(db: Database, boss: PgBoss, jobId: string, now: Date, staleMs: number): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ state: string; worker: string | null; heartbeat_at: Date | null }>(
      'SELECT state, worker, heartbeat_at FROM jobs WHERE id = $1 FOR UPDATE',
      [jobId],
    );
    const job = rows[0];
    if (!job) throw new InvalidInputError(`no job ${jobId}`);
    const silentMs = job.heartbeat_at ? now.getTime() - new Date(job.heartbeat_at).getTime() : Infinity;
    const stuck = job.state === 'running' && silentMs > staleMs;
    if (job.state === 'running' && !stuck) {
      throw new InvalidInputError(`job ${jobId} is running on ${job.worker ?? 'a worker'}, which answered ${Math.round(silentMs / 1000)} s ago`);
    }
    if (job.state !== 'failed' && job.state !== 'done' && !stuck) {
      throw new InvalidInputError(`job ${jobId} is ${job.state}; only failed, done or stuck jobs can be retried`);
    }
    await tx.query(
      `UPDATE jobs SET state = 'queued', error = NULL, attempts = 0, finished_at = NULL, worker = NULL, updated_at = $2 WHERE id = $1`,
      [jobId, now],
    );
    await enqueueIn(boss, tx, processQueue, { jobId });
  });
}

/** Sends a failed delivery again, e.g. once the PACS is back after the automatic retries ran out. */
export async function retryDelivery(db: Database, boss: PgBoss, deliveryId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ state: string; job_id: string }>('SELECT state, job_id FROM deliveries WHERE id = $1 FOR UPDATE', [deliveryId]);
    const delivery = rows[0];
    if (!delivery) throw new InvalidInputError(`no delivery ${deliveryId}`);
    if (delivery.state !== 'failed') throw new InvalidInputError(`delivery ${deliveryId} is ${delivery.state}; only failed deliveries can be retried`);
    await tx.query(`UPDATE deliveries SET state = 'pending', updated_at = $2 WHERE id = $1`, [deliveryId, now]);
    await tx.query(
      `UPDATE jobs SET state = 'delivering', error = NULL, finished_at = NULL, updated_at = $2 WHERE id = $1 AND state = 'failed'`,
      [delivery.job_id, now],
    );
    await enqueueIn(boss, tx, deliverQueue, { deliveryId });
  });
}
