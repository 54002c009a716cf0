import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { enqueueIn, processQueue } from '../queue/queue.js';
import { lockJob, resetJobForRetry } from '../store/jobs.js';
import { JobState } from '../store/states.js';

/**
 * Runs a finished or failed job again from its spooled series (a person asked for it), or one
 * whose worker stopped answering (stuck). A job that is queued, running on a live worker, or was
 * superseded by a newer one, is not retried.
 */
export async function retryJob(db: Database, boss: PgBoss, jobId: string, now: Date, staleMs: number): Promise<void> {
  await db.transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) throw new InvalidInputError(`no job ${jobId}`);
    const silentMs = job.heartbeat_at ? now.getTime() - new Date(job.heartbeat_at).getTime() : Infinity;
    const stuck = job.state === JobState.Running && silentMs > staleMs;
    if (job.state === JobState.Running && !stuck) {
      throw new InvalidInputError(`job ${jobId} is running on ${job.worker ?? 'a worker'}, which answered ${Math.round(silentMs / 1000)} s ago`);
    }
    if (job.state !== JobState.Failed && job.state !== JobState.Done && !stuck) {
      throw new InvalidInputError(`job ${jobId} is ${job.state}; only failed, done or stuck jobs can be retried`);
    }
    await resetJobForRetry(tx, jobId, now);
    await enqueueIn(boss, tx, processQueue, { jobId });
  });
}
