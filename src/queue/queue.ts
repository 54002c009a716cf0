import PgBoss from 'pg-boss';
import type { Database, Queryable } from '../db/database.js';
import type { Logger } from '../log.js';

export const processQueue = 'process-series';
export const deliverQueue = 'deliver-series';
export const calibrateQueue = 'calibrate-pair';

export interface ProcessJobData {
  jobId: string;
}
export interface DeliverJobData {
  deliveryId: string;
}
/** Two complete series that may be two reconstructions of one acquisition. */
export interface CalibrateJobData {
  seriesInstanceUids: [string, string];
}

export interface RetryPolicy {
  retryLimit: number;
  retryDelaySeconds: number;
}

/** pg-boss's one-method database interface, served by our Database or by an open transaction. */
export function bossAdapter(db: Queryable): PgBoss.Db {
  return {
    async executeSql(text, values) {
      if ((!values || values.length === 0) && 'exec' in db) {
        // pg-boss sends whole scripts (its own migrations) without parameters.
        return { rows: await (db as Database).exec(text) };
      }
      return db.query(text, values ?? []);
    },
  };
}

/**
 * The job queue: pg-boss on the node's own database (PostgreSQL or embedded), in its own schema.
 * Retries with exponential backoff come from pg-boss; our jobs and deliveries tables hold the
 * state that people read.
 */
export async function startQueue(
  db: Database,
  options: { schema: string; processing: RetryPolicy; delivery: RetryPolicy; log: Logger },
): Promise<PgBoss> {
  const boss = new PgBoss({ db: bossAdapter(db), schema: options.schema, supervise: true, schedule: false });
  boss.on('error', (error) => {
    // Maintenance errors are reported and the queue goes on; job errors go through handlers.
    options.log.error({ err: error }, 'job queue maintenance error');
  });
  await boss.start();
  await ensureQueue(boss, processQueue, options.processing, 60 * 60);
  await ensureQueue(boss, deliverQueue, options.delivery, 15 * 60);
  await ensureQueue(boss, calibrateQueue, { retryLimit: 2, retryDelaySeconds: 30 }, 15 * 60);
  return boss;
}

async function ensureQueue(boss: PgBoss, name: string, policy: RetryPolicy, expireInSeconds: number) {
  const settings = {
    name,
    retryLimit: policy.retryLimit,
    retryDelay: policy.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds,
    retentionDays: 14,
  };
  if (await boss.getQueue(name)) await boss.updateQueue(name, settings);
  else await boss.createQueue(name, settings);
}

/** Enqueues inside the caller's transaction, so a job row and its queue entry commit together. */
export async function enqueueIn<T extends object>(boss: PgBoss, tx: Queryable, queue: string, data: T): Promise<void> {
  await boss.send(queue, data, { db: bossAdapter(tx) });
}
