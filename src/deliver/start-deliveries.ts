import type PgBoss from 'pg-boss';
import { deliverQueue, type DeliverJobData } from '../queue/queue.js';
import { workOn, type Working } from '../queue/work.js';
import { deliverSeries, type DeliveryDeps } from './deliver-series.js';

/** Sends queued deliveries from this process: `concurrency` at once. */
export function startDeliveries(boss: PgBoss, deps: DeliveryDeps, settings: { concurrency: number; pollingIntervalSeconds: number }): Promise<Working> {
  return workOn<DeliverJobData>(boss, deliverQueue, settings, (data, attempt) => deliverSeries(data.deliveryId, deps, attempt));
}
