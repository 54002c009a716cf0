import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import { InvalidInputError } from '../errors.js';
import { deliverQueue, enqueueIn } from '../queue/queue.js';
import { resetDeliveryForRetry } from '../store/deliveries.js';
import { DeliveryState } from '../store/states.js';

/** Sends a failed delivery again, e.g. once the PACS is back after the automatic retries ran out. */
export async function retryDelivery(db: Database, boss: PgBoss, deliveryId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const delivery = await resetDeliveryForRetry(tx, deliveryId, now);
    if (!delivery) throw new InvalidInputError(`no delivery ${deliveryId}`);
    if (delivery.state !== DeliveryState.Pending) throw new InvalidInputError(`delivery ${deliveryId} is ${delivery.state}; only failed deliveries can be retried`);
    await enqueueIn(boss, tx, deliverQueue, { deliveryId });
  });
}
