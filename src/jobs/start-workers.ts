import type PgBoss from 'pg-boss';
import { deliverQueue, processQueue, type DeliverJobData, type ProcessJobData } from '../queue/queue.js';
import { processJob, type ProcessingDeps } from './process-job.js';
import { deliverSeries, type DeliveryDeps } from '../deliver/deliver-series.js';

export interface QueueWorkerSettings {
  /** Jobs processed at once by this node; each runs its steps (inference itself runs in worker threads). */
  concurrency: number;
  /** Deliveries sent at once. */
  deliveryConcurrency: number;
  pollingIntervalSeconds: number;
}

/** Subscribes the processing and delivery handlers to their queues; the handlers are one line each. */
export async function startPipelineWorkers(
  boss: PgBoss,
  deps: { processing: ProcessingDeps; delivery: DeliveryDeps },
  settings: QueueWorkerSettings,
): Promise<{ stop(): Promise<void> }> {
  const options = { includeMetadata: true as const, batchSize: 1, pollingIntervalSeconds: settings.pollingIntervalSeconds };
  const workerIds: string[] = [];
  for (let i = 0; i < settings.concurrency; i++) {
    workerIds.push(
      await boss.work<ProcessJobData>(processQueue, options, async ([job]) => processJob(job.data.jobId, deps.processing, job)),
    );
  }
  for (let i = 0; i < settings.deliveryConcurrency; i++) {
    workerIds.push(
      await boss.work<DeliverJobData>(deliverQueue, options, async ([job]) => deliverSeries(job.data.deliveryId, deps.delivery, job)),
    );
  }
  return {
    async stop() {
      await Promise.all(workerIds.map((id) => boss.offWork({ id })));
    },
  };
}
