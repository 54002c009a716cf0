import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { DeliveryState, JobState, type DeliveryStateName } from './states.js';

/** A row of the deliveries table with what delivering it needs from its job. */
export interface DeliveryRow {
  id: string;
  job_id: string;
  destination: string;
  state: DeliveryStateName;
  attempts: number;
  output_dir: string | null;
  job_state: string;
}

/** One pending delivery per destination; a job run again (retried by hand) reuses its rows. Returns their ids. */
export async function createDeliveries(db: Queryable, jobId: string, destinations: readonly string[], now: Date): Promise<string[]> {
  const ids: string[] = [];
  for (const destination of destinations) {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO deliveries (id, job_id, destination, state, created_at, updated_at)
       VALUES ($1, $2, $3, $5, $4, $4)
       ON CONFLICT (job_id, destination) DO UPDATE SET state = $5, last_error = NULL, updated_at = $4
       RETURNING id`,
      [randomUUID(), jobId, destination, now, DeliveryState.Pending],
    );
    ids.push(rows[0]!.id);
  }
  return ids;
}

/** Takes a pending delivery, or one whose sender has been silent too long; undefined when not ours. */
export async function claimDelivery(db: Queryable, deliveryId: string, holder: { workerId: string; staleMs: number }, now: Date): Promise<DeliveryRow | undefined> {
  const { rows } = await db.query<DeliveryRow>(
    `UPDATE deliveries d SET state = $5, attempts = d.attempts + 1, worker = $2, heartbeat_at = $3, updated_at = $3
       FROM jobs j
      WHERE d.id = $1 AND j.id = d.job_id
        AND (d.state = $6 OR (d.state = $5 AND (d.heartbeat_at IS NULL OR d.heartbeat_at < $4)))
      RETURNING d.id, d.job_id, d.destination, d.state, d.attempts, j.output_dir, j.state AS job_state`,
    [deliveryId, holder.workerId, now, new Date(now.getTime() - holder.staleMs), DeliveryState.Sending, DeliveryState.Pending],
  );
  return rows[0];
}

export async function touchDelivery(db: Queryable, deliveryId: string, workerId: string, now: Date): Promise<void> {
  await db.query(`UPDATE deliveries SET heartbeat_at = $3 WHERE id = $1 AND worker = $2 AND state = $4`, [deliveryId, workerId, now, DeliveryState.Sending]);
}

/** Sent whole; false when the delivery was superseded or taken over meanwhile. */
export async function finishDelivery(db: Queryable, deliveryId: string, workerId: string, instancesSent: number, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE deliveries SET state = $5, instances_sent = $2, delivered_at = $3, updated_at = $3, last_error = NULL
      WHERE id = $1 AND state = $6 AND worker = $4`,
    [deliveryId, instancesSent, now, workerId, DeliveryState.Done, DeliveryState.Sending],
  );
  return rowCount > 0;
}

/** After a failed attempt: pending again (the queue retries) or failed, with the reason. */
export async function setDeliveryOutcome(db: Queryable, deliveryId: string, workerId: string, state: DeliveryStateName, lastError: string, now: Date): Promise<void> {
  await db.query(`UPDATE deliveries SET state = $2, last_error = $3, updated_at = $4 WHERE id = $1 AND state <> $6 AND worker = $5`, [
    deliveryId,
    state,
    lastError,
    now,
    workerId,
    DeliveryState.Superseded,
  ]);
}

/** A failed delivery a person retries: pending again, its job delivering again. */
export async function resetDeliveryForRetry(db: Queryable, deliveryId: string, now: Date): Promise<{ state: DeliveryStateName } | undefined> {
  const { rows } = await db.query<{ state: DeliveryStateName; job_id: string }>('SELECT state, job_id FROM deliveries WHERE id = $1 FOR UPDATE', [deliveryId]);
  const delivery = rows[0];
  if (!delivery || delivery.state !== DeliveryState.Failed) return delivery;
  await db.query(`UPDATE deliveries SET state = $3, updated_at = $2 WHERE id = $1`, [deliveryId, now, DeliveryState.Pending]);
  await db.query(`UPDATE jobs SET state = $3, error = NULL, finished_at = NULL, updated_at = $2 WHERE id = $1 AND state = $4`, [
    delivery.job_id,
    now,
    JobState.Delivering,
    JobState.Failed,
  ]);
  return { state: DeliveryState.Pending };
}

/** Sending deliveries whose holder has been silent since before `stale`: pending again. */
export async function requeueStaleDeliveries(db: Queryable, stale: Date, now: Date): Promise<{ id: string; worker: string | null }[]> {
  const { rows } = await db.query<{ id: string; worker: string | null }>(
    `UPDATE deliveries SET state = $3, updated_at = $2
      WHERE state = $4 AND (heartbeat_at IS NULL OR heartbeat_at < $1)
      RETURNING id, worker`,
    [stale, now, DeliveryState.Pending, DeliveryState.Sending],
  );
  return rows;
}

/**
 * Deliveries to the same destination of earlier generations of the job's series and rule, whose
 * derived series a newer one replaces and that are not removed from the destination yet.
 */
export async function supersededDeliveries(db: Queryable, delivery: Pick<DeliveryRow, 'id' | 'job_id' | 'destination'>): Promise<{ id: string; derived_series_uid: string }[]> {
  const { rows } = await db.query<{ id: string; derived_series_uid: string }>(
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
  return rows;
}

export async function markRemovedFromDestination(db: Queryable, deliveryId: string, now: Date): Promise<void> {
  await db.query('UPDATE deliveries SET removed_at = $2 WHERE id = $1', [deliveryId, now]);
}
