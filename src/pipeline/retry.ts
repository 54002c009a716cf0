import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { deliverQueue, enqueueIn, processQueue } from './queue.js';

/**
 * Runs a finished or failed job again from its spooled series (a person asked for it). A job that
 * is still queued or running, or was superseded by a newer one, is not retried.
 */
export async function retryJob(db: Database, boss: PgBoss, jobId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
    const state = rows[0]?.state;
    if (!state) throw new InvalidInputError(`no job ${jobId}`);
    if (state !== 'failed' && state !== 'done') throw new InvalidInputError(`job ${jobId} is ${state}; only failed or done jobs can be retried`);
    await tx.query(
      `UPDATE jobs SET state = 'queued', error = NULL, attempts = 0, finished_at = NULL, updated_at = $2 WHERE id = $1`,
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
