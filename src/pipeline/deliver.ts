import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { Destination } from '../config/schema.js';
import { InvalidInputError, UnavailableError, isRetryable } from '../errors.js';
import type { Attempt } from './process-job.js';
import type { OrthancRest } from './orthanc-rest.js';
import { startHeartbeat, type Holder } from './heartbeat.js';

/** Sends files to a destination by C-STORE; given by the composition root (src/dicom does it). */
export type SendFiles = (request: {
  callingAeTitle: string;
  /** The destination's name in the configuration (the composition root knows how to reach it). */
  destinationName: string;
  files: string[];
  timeoutMs?: number;
}) => Promise<{ files: { path: string; ok: boolean; status: number }[] }>;

export interface DeliveryDeps {
  db: Database;
  destinations: Readonly<Record<string, Destination>>;
  callingAeTitle: string;
  send: SendFiles;
  /** The REST API of an Orthanc destination (orthancUrl), to remove superseded derived series. */
  orthanc: (url: string) => OrthancRest;
  timeoutMs: number;
  clock: () => Date;
  log: Logger;
  holder: Holder;
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
  const delivery = await claimDelivery(deps, deliveryId);
  if (!delivery) return; // done, superseded, or being sent by a live worker
  const log = deps.log.child({ deliveryId, jobId: delivery.job_id, destination: delivery.destination, worker: deps.holder.workerId });
  const heartbeat = startHeartbeat(
    () => deps.db.query(`UPDATE deliveries SET heartbeat_at = $3 WHERE id = $1 AND worker = $2 AND state = 'sending'`, [deliveryId, deps.holder.workerId, deps.clock()]),
    deps.holder.heartbeatMs,
    (error) => log.warn({ err: error }, 'delivery heartbeat failed'),
  );
  try {
    const destination = deps.destinations[delivery.destination];
    if (!destination) throw new InvalidInputError(`destination '${delivery.destination}' is not configured`);
    if (!delivery.output_dir) throw new InvalidInputError('job has no derived series to deliver');
    const files = (await readdir(delivery.output_dir)).filter((name) => name.endsWith('.dcm')).sort();
    const { files: results } = await deps.send({
      callingAeTitle: deps.callingAeTitle,
      destinationName: delivery.destination,
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
        `UPDATE deliveries SET state = 'done', instances_sent = $2, delivered_at = $3, updated_at = $3, last_error = NULL
          WHERE id = $1 AND state = 'sending' AND worker = $4`,
        [deliveryId, results.length, now, deps.holder.workerId],
      );
      await tx.query(
        `UPDATE jobs SET state = 'done', finished_at = $2, updated_at = $2
          WHERE id = $1 AND state = 'delivering'
            AND NOT EXISTS (SELECT 1 FROM deliveries WHERE job_id = $1 AND state <> 'done')`,
        [delivery.job_id, now],
      );
    });
    log.info({ instances: results.length }, 'derived series delivered');
    if (destination.orthancUrl) await removeSuperseded(deps, delivery, destination.orthancUrl, log);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const willRetry = isRetryable(error) && attempt.retryCount < attempt.retryLimit;
    await setDelivery(deps, deliveryId, { state: willRetry ? 'pending' : 'failed', lastError: message });
    if (!willRetry) await markJobFailed(deps, delivery.job_id, `delivery to ${delivery.destination} failed: ${message}`);
    log.warn({ err: error, willRetry }, 'delivery failed');
    if (willRetry) throw error;
  } finally {
    heartbeat.stop();
  }
}

/** Takes a pending delivery, or one whose sender has been silent too long; undefined when not ours. */
async function claimDelivery(deps: DeliveryDeps, deliveryId: string): Promise<DeliveryRow | undefined> {
  const now = deps.clock();
  const { rows } = await deps.db.query<DeliveryRow>(
    `UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1, worker = $2, heartbeat_at = $3, updated_at = $3
       FROM jobs j
      WHERE d.id = $1 AND j.id = d.job_id
        AND (d.state = 'pending' OR (d.state = 'sending' AND (d.heartbeat_at IS NULL OR d.heartbeat_at < $4)))
      RETURNING d.id, d.job_id, d.destination, d.state, d.attempts, j.output_dir, j.state AS job_state`,
    [deliveryId, deps.holder.workerId, now, new Date(now.getTime() - deps.holder.staleMs)],
  );
  return rows[0];
}

async function setDelivery(deps: DeliveryDeps, id: string, changes: { state: string; attempts?: number; lastError?: string }) {
  await deps.db.query(
    `UPDATE deliveries SET state = $2, attempts = COALESCE($3, attempts), last_error = COALESCE($4, last_error), updated_at = $5
      WHERE id = $1 AND state <> 'superseded' AND worker = $6`,
    [id, changes.state, changes.attempts ?? null, changes.lastError ?? null, deps.clock(), deps.holder.workerId],
  );
}

async function markJobFailed(deps: DeliveryDeps, jobId: string, error: string) {
  await deps.db.query(
    `UPDATE jobs SET state = 'failed', error = $2, finished_at = $3, updated_at = $3 WHERE id = $1 AND state = 'delivering'`,
    [jobId, error, deps.clock()],
  );
}

/**
 * Once a newer generation of a series is in an Orthanc destination, the derived series that
 * earlier generations of the same series and rule left there are deleted through its REST API,
 * so that the PACS holds one derived series, whole. A failure is logged and tried again after the
 * next delivery; the old series stays complete meanwhile.
 */
async function removeSuperseded(deps: DeliveryDeps, delivery: DeliveryRow, orthancUrl: string, log: Logger): Promise<void> {
  const { rows } = await deps.db.query<{ id: string; derived_series_uid: string }>(
    `SELECT d.id, j.derived_series_uid
       FROM deliveries d
       JOIN jobs j ON j.id = d.job_id
       JOIN jobs current ON current.id = $1
      WHERE d.destination = $2 AND d.removed_at IS NULL AND d.id <> $3
        AND j.series_instance_uid = current.series_instance_uid AND j.rule_id = current.rule_id
        AND j.series_generation < current.series_generation
        AND j.derived_series_uid IS NOT NULL AND j.derived_series_uid <> current.derived_series_uid`,
    [delivery.job_id, delivery.destination, delivery.id],
  );
  const rest = deps.orthanc(orthancUrl);
  for (const row of rows) {
    try {
      const held = await rest.deleteSeries(row.derived_series_uid);
      await deps.db.query('UPDATE deliveries SET removed_at = $2 WHERE id = $1', [row.id, deps.clock()]);
      log.info({ supersededSeries: row.derived_series_uid, held }, held ? 'superseded derived series deleted from the PACS' : 'superseded derived series was not in the PACS');
    } catch (error) {
      log.warn({ err: error, supersededSeries: row.derived_series_uid }, 'could not delete a superseded derived series from the PACS; will try after the next delivery');
    }
  }
}
