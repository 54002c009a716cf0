import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { NodeMetrics } from '../metrics.js';
import type { Destination } from '../config/schema.js';
import { InvalidInputError, UnavailableError } from '../errors.js';
import { judgeFailure, type Attempt } from '../queue/retry-policy.js';
import {
  claimDelivery,
  finishDelivery,
  markRemovedFromDestination,
  setDeliveryOutcome,
  supersededDeliveries,
  touchDelivery,
  type DeliveryRow,
} from '../store/deliveries.js';
import { markJobDoneIfDelivered, markJobFailedInDelivery } from '../store/jobs.js';
import { DeliveryState } from '../store/states.js';
import type { OrthancRest } from './orthanc-rest.js';
import { startHeartbeat, type Holder } from '../queue/heartbeat.js';
import { getStoredDestination } from '../store/destinations.js';

/** Sends files to a destination by C-STORE; given by the composition root (src/dicom does it). */
export type SendFiles = (request: {
  callingAeTitle: string;
  /** The destination's name, and the destination as stored when the delivery began. */
  destinationName: string;
  destination: Destination;
  files: string[];
  timeoutMs?: number;
}) => Promise<{ files: { path: string; ok: boolean; status: number }[] }>;

export interface DeliveryDeps {
  db: Database;
  callingAeTitle: string;
  send: SendFiles;
  /** The REST API of an Orthanc destination (orthancUrl), to remove superseded derived series. */
  orthanc: (url: string) => OrthancRest;
  timeoutMs: number;
  clock: () => Date;
  log: Logger;
  holder: Holder;
  metrics?: NodeMetrics;
}


/**
 * Sends one job's derived series to one destination. A PACS that is down or refuses some instances
 * throws a retryable error, so the queue tries again with backoff; the last failure is kept on the
 * delivery, which stays visible and can be retried by hand. Resending is harmless: same SOP UIDs.
 */
export async function deliverSeries(deliveryId: string, deps: DeliveryDeps, attempt: Attempt): Promise<void> {
  const delivery = await claimDelivery(deps.db, deliveryId, deps.holder, deps.clock());
  if (!delivery) return; // done, superseded, or being sent by a live worker
  const log = deps.log.child({ deliveryId, jobId: delivery.job_id, destination: delivery.destination, worker: deps.holder.workerId });
  const heartbeat = startHeartbeat(
    () => touchDelivery(deps.db, deliveryId, deps.holder.workerId, deps.clock()),
    deps.holder.heartbeatMs,
    (error) => log.warn({ err: error }, 'delivery heartbeat failed'),
  );
  const destinationLabel = { destination: delivery.destination };
  deps.metrics?.deliveries.inc({ ...destinationLabel, outcome: 'attempted' });
  try {
    // Read at each delivery: an edit through the API reaches workers in every process.
    const destination = (await getStoredDestination(deps.db, delivery.destination))?.destination;
    if (!destination) throw new InvalidInputError(`destination '${delivery.destination}' does not exist (deleted, or no longer configured)`);
    if (!delivery.output_dir) throw new InvalidInputError('job has no derived series to deliver');
    const files = (await readdir(delivery.output_dir)).filter((name) => name.endsWith('.dcm')).sort();
    const { files: results } = await deps.send({
      callingAeTitle: deps.callingAeTitle,
      destinationName: delivery.destination,
      destination,
      files: files.map((name) => path.join(delivery.output_dir!, name)),
      timeoutMs: deps.timeoutMs,
    });
    const refused = results.filter((result) => !result.ok);
    if (refused.length > 0) {
      const statuses = [...new Set(refused.map((result) => `0x${result.status.toString(16).padStart(4, '0')}`))];
      throw new UnavailableError(`${destination.aeTitle} refused ${refused.length} of ${results.length} instances (status ${statuses.join(', ')})`);
    }
    const finished = await deps.db.transaction(async (tx) => {
      const now = deps.clock();
      if (!(await finishDelivery(tx, deliveryId, deps.holder.workerId, results.length, now))) return false;
      await markJobDoneIfDelivered(tx, delivery.job_id, now);
      return true;
    });
    if (finished) deps.metrics?.deliveries.inc({ ...destinationLabel, outcome: 'succeeded' });
    log.info({ instances: results.length }, finished ? 'derived series delivered' : 'derived series sent, but the delivery was superseded or taken over meanwhile');
    if (finished && destination.orthancUrl) await removeSuperseded(deps, delivery, destination.orthancUrl, log);
  } catch (error) {
    const verdict = judgeFailure(error, attempt);
    deps.metrics?.deliveries.inc({ ...destinationLabel, outcome: verdict.retry ? 'retried' : 'failed' });
    await setDeliveryOutcome(deps.db, deliveryId, deps.holder.workerId, verdict.retry ? DeliveryState.Pending : DeliveryState.Failed, verdict.message, deps.clock());
    if (!verdict.retry) await markJobFailedInDelivery(deps.db, delivery.job_id, `delivery to ${delivery.destination} failed: ${verdict.message}`, deps.clock());
    if (verdict.kind === 'bug') log.error({ err: error }, 'delivery failed on a bug');
    else log.warn({ err: error, willRetry: verdict.retry }, 'delivery failed');
    if (verdict.retry) throw error;
  } finally {
    heartbeat.stop();
  }
}

/**
 * Once a newer generation of a series is in an Orthanc destination, the derived series that
 * earlier generations of the same series and rule left there are deleted through its REST API,
 * so that the PACS holds one derived series, whole. A failure is logged and tried again after the
 * next delivery; the old series stays complete meanwhile.
 */
async function removeSuperseded(deps: DeliveryDeps, delivery: DeliveryRow, orthancUrl: string, log: Logger): Promise<void> {
  const rest = deps.orthanc(orthancUrl);
  for (const superseded of await supersededDeliveries(deps.db, delivery)) {
    try {
      const held = await rest.deleteSeries(superseded.derived_series_uid);
      await markRemovedFromDestination(deps.db, superseded.id, deps.clock());
      log.info({ supersededSeries: superseded.derived_series_uid, held }, held ? 'superseded derived series deleted from the PACS' : 'superseded derived series was not in the PACS');
    } catch (error) {
      log.warn({ err: error, supersededSeries: superseded.derived_series_uid }, 'could not delete a superseded derived series from the PACS; will try after the next delivery');
    }
  }
}
