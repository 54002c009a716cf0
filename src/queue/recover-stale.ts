import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { recordAudit } from '../store/audit-events.js';
import { deliverQueue, enqueueIn, processQueue } from './queue.js';
import { requeueStaleDeliveries } from '../store/deliveries.js';
import { requeueStaleJobs } from '../store/jobs.js';

export interface RecoveryDeps {
  db: Database;
  boss: PgBoss;
  clock: () => Date;
  log: Logger;
  /** A holder silent this long has died (see heartbeat.ts). */
  staleMs: number;
  /** How often to look; also once at start, at once. */
  intervalMs: number;
}

/**
 * Gives back what dead processes held: a running job or a sending delivery whose holder has not
 * said it is alive for staleMs goes back to the queue at once (a fresh queue entry; the old one,
 * held by the dead process until the queue's expiry, finds it taken or done and does nothing).
 * Runs in every process that has workers, once at start and then every intervalMs.
 */
export function startRecovery(deps: RecoveryDeps): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const sweep = () => {
    running ??= recoverStale(deps)
      .then(() => undefined)
      .catch((error: unknown) => deps.log.error({ err: error }, 'recovering jobs of dead workers failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void sweep();
  const timer = setInterval(() => void sweep(), deps.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** What a dead holder may leave behind, how it goes back, and to which queue. */
const HELD = [
  { name: 'jobs', requeue: requeueStaleJobs, queue: processQueue, data: (id: string) => ({ jobId: id }), action: 'job.recovered' },
  { name: 'deliveries', requeue: requeueStaleDeliveries, queue: deliverQueue, data: (id: string) => ({ deliveryId: id }), action: 'delivery.recovered' },
] as const;

export async function recoverStale(deps: Omit<RecoveryDeps, 'intervalMs'>): Promise<{ jobs: number; deliveries: number }> {
  const now = deps.clock();
  const stale = new Date(now.getTime() - deps.staleMs);
  return deps.db.transaction(async (tx) => {
    const counts = { jobs: 0, deliveries: 0 };
    for (const held of HELD) {
      const rows = await held.requeue(tx, stale, now);
      for (const row of rows) {
        await enqueueIn(deps.boss, tx, held.queue, held.data(row.id));
        await recordAudit(tx, { at: now, actor: 'node', action: held.action, subject: row.id, detail: { deadWorker: row.worker } });
      }
      counts[held.name] = rows.length;
    }
    if (counts.jobs + counts.deliveries > 0) deps.log.warn(counts, 'queued again what workers that stopped answering held');
    return counts;
  });
}
