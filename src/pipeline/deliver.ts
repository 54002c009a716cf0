import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { Destination } from '../config/schema.js';
import { InvalidInputError, UnavailableError, isRetryable } from '../errors.js';
import type { Attempt } from './process-job.js';

/** Sends files to a destination by C-STORE; given by the composition root (src/dicom does it). */
export type SendFiles = (request: {
  callingAeTitle: string;
  destination: Destination;
  files: string[];
  timeoutMs?: number;
}) => Promise<{ files: { path: string; ok: boolean; status: number }[] }>;

export interface DeliveryDeps {
  db: Database;
  destinations: Readonly<Record<string, Destination>>;
  callingAeTitle: string;
  send: SendFiles;
  timeoutMs: number;
  clock: () => Date;
  log: Logger;
}

interface DeliveryRow {
  id: string;
  job_id: string;
  destination: string;
  state: string;
  attempts: number;
  output_dir: string | null;
  job_state: string;
}

/**
 * Sends one job's derived series to one destination. A PACS that is down or refuses some instances
 * throws a retryable error, so the queue tries again with backoff; the last failure is kept on the
 * delivery, which stays visible and can be retried by hand. Resending is harmless: same SOP UIDs.
 */
export async function deliverSeries(deliveryId: string, deps: DeliveryDeps, attempt: Attempt): Promise<void> {
  const { rows } = await deps.db.query<DeliveryRow>(
    `SELECT d.id, d.job_id, d.destination, d.state, d.attempts, j.output_dir, j.state AS job_state
       FROM deliveries d JOIN jobs j ON j.id = d.job_id WHERE d.id = $1`,
    [deliveryId],
  );
  const delivery = rows[0];
  if (!delivery || delivery.state === 'done' || delivery.state === 'superseded') return;
  const log = deps.log.child({ deliveryId, jobId: delivery.job_id, destination: delivery.destination });
  await setDelivery(deps, deliveryId, { state: 'sending', attempts: delivery.attempts + 1 });
  try {
    const destination = deps.destinations[delivery.destination];
    if (!destination) throw new InvalidInputError(`destination '${delivery.destination}' is not configured`);
    if (!delivery.output_dir) throw new InvalidInputError('job has no derived series to deliver');
    const files = (await readdir(delivery.output_dir)).filter((name) => name.endsWith('.dcm')).sort();
    const { files: results } = await deps.send({
      callingAeTitle: deps.callingAeTitle,
      destination,
      files: files.map((name) => path.join(delivery.output_dir!, name)),
      timeoutMs: deps.timeoutMs,
    });
    const refused = results.filter((result) => !result.ok);
    if (refused.length > 0) {
      const statuses = [...new Set(refused.map((result) => `0x${result.status.toString(16).padStart(4, '0')}`))];
      throw new UnavailableError(`${destination.aeTitle} refused ${refused.length} of ${results.length} instances (status ${statuses.join(', ')})`);
    }
    await deps.db.transaction(async (tx) => {
      const now = deps.clock();
      await tx.query(
        `UPDATE deliveries SET state = 'done', instances_sent = $2, delivered_at = $3, updated_at = $3, last_error = NULL WHERE id = $1`,
        [deliveryId, results.length, now],
      );
      await tx.query(
        `UPDATE jobs SET state = 'done', finished_at = $2, updated_at = $2
          WHERE id = $1 AND state = 'delivering'
            AND NOT EXISTS (SELECT 1 FROM deliveries WHERE job_id = $1 AND state <> 'done')`,
        [delivery.job_id, now],
      );
    });
    log.info({ instances: results.length }, 'derived series delivered');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const willRetry = isRetryable(error) && attempt.retryCount < attempt.retryLimit;
    await setDelivery(deps, deliveryId, { state: willRetry ? 'pending' : 'failed', lastError: message });
    if (!willRetry) await markJobFailed(deps, delivery.job_id, `delivery to ${delivery.destination} failed: ${message}`);
    log.warn({ err: error, willRetry }, 'delivery failed');
    if (willRetry) throw error;
  }
}

async function setDelivery(deps: DeliveryDeps, id: string, changes: { state: string; attempts?: number; lastError?: string }) {
  await deps.db.query(
    `UPDATE deliveries SET state = $2, attempts = COALESCE($3, attempts), last_error = COALESCE($4, last_error), updated_at = $5
      WHERE id = $1 AND state <> 'superseded'`,
    [id, changes.state, changes.attempts ?? null, changes.lastError ?? null, deps.clock()],
  );
}

async function markJobFailed(deps: DeliveryDeps, jobId: string, error: string) {
  await deps.db.query(
    `UPDATE jobs SET state = 'failed', error = $2, finished_at = $3, updated_at = $3 WHERE id = $1 AND state = 'delivering'`,
    [jobId, error, deps.clock()],
  );
}
