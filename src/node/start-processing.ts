import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { NodeConfig } from '../config/schema.js';
import { destinationPeer } from '../config/tls-files.js';
import { orthancRest } from '../deliver/index.js';
import { startDeliveries } from '../deliver/index.js';
import type { SendFiles } from '../deliver/deliver-series.js';
import { sendInstances } from '../dicom/index.js';
import { startInferenceEngine, type InferenceEngine } from '../inference/index.js';
import { databaseCatalog, startCalibrations } from '../calibrate/index.js';
import { retryJob, startJobs } from '../jobs/index.js';
import type { Logger } from '../log.js';
import type { Holder } from '../queue/heartbeat.js';
import { startRecovery } from '../queue/index.js';
import { routeSeriesAgain } from '../route/index.js';
import type { Storage } from './start-storage.js';
import type { StopList } from './stop-list.js';

const POLLING_INTERVAL_SECONDS = 0.5;

export interface Processing {
  inference: InferenceEngine;
  /** The id this process writes on the jobs and deliveries it runs; undefined where it runs none. */
  workerId: string | undefined;
}

/** The inference engine, and (unless this process only receives) the job and delivery workers with their recovery. */
export async function startProcessing(config: NodeConfig, storage: Storage, runWorkers: boolean, clock: () => Date, log: Logger, stops: StopList): Promise<Processing> {
  const inference = await startInferenceEngine(config, (line) => log.info(line));
  stops.add(() => inference.close());
  if (!runWorkers) return { inference, workerId: undefined };
  const { db, boss } = storage;
  const holder = workerHolder(config);
  const recovery = startRecovery({ db, boss, clock, log, staleMs: holder.staleMs, intervalMs: holder.heartbeatMs });
  stops.add(() => recovery.stop());
  const derive = { derivedDir: path.join(config.dataDir, 'derived'), uidRoot: config.derive.uidRoot, nodeName: config.derive.nodeName };
  const calibrations = databaseCatalog(db);
  const jobs = await startJobs(boss, { db, boss, stepKinds: storage.stepKinds, stepContext: { inference, calibrations }, ...derive, clock, log, holder, metrics: storage.metrics }, {
    concurrency: config.jobs.concurrency,
    pollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
  });
  stops.add(() => jobs.stop());
  const retry = (jobId: string) => retryJob(db, boss, jobId, clock(), holder.staleMs);
  const routeAgain = (seriesInstanceUid: string, because: string) => routeSeriesAgain(seriesInstanceUid, { db, boss, ...config.derive, clock, log }, because);
  const calibrating = await startCalibrations({ db, boss, clock, log, retryJob: retry, routeAgain }, { pollingIntervalSeconds: POLLING_INTERVAL_SECONDS });
  stops.add(() => calibrating.stop());
  const send: SendFiles = async (request) => sendInstances({ ...request, destination: await destinationPeer(request.destinationName, request.destination) });
  const deliveries = await startDeliveries(
    boss,
    { db, callingAeTitle: config.dicom.aeTitle, send, orthanc: orthancRest, timeoutMs: config.delivery.timeoutMs, clock, log, holder, metrics: storage.metrics },
    { concurrency: 2, pollingIntervalSeconds: POLLING_INTERVAL_SECONDS },
  );
  stops.add(() => deliveries.stop());
  log.info({ worker: holder.workerId, jobConcurrency: config.jobs.concurrency }, 'job and delivery workers ready');
  return { inference, workerId: holder.workerId };
}

/** This process as the holder of what it runs: a worker id, and how often it says it is alive. */
function workerHolder(config: NodeConfig): Holder {
  return {
    workerId: `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
    heartbeatMs: config.jobs.heartbeatSeconds * 1000,
    staleMs: config.jobs.staleAfterSeconds * 1000,
  };
}
