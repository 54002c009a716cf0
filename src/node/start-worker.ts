import path from 'node:path';
import { createWorkerApi, startApi } from '../api/index.js';
import { apiHostNames, type NodeConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { startProcessing } from './start-processing.js';
import { startStorage } from './start-storage.js';
import { StopList } from './stop-list.js';

export interface RunningWorker {
  readonly workerId: string;
  /** Where its health probes and /metrics answer. */
  readonly apiPort: number;
  stop(): Promise<void>;
}

/**
 * `ctprep worker`: the job and delivery workers alone, against the queue in the node's PostgreSQL
 * and the data folder (spool, derived files) that the node and every worker share. Any number may
 * run, here or on other machines: the queue hands each job to one of them, and what a dead one
 * held goes back to the queue (queue/recover-stale.ts). It listens to no DICOM, serves no console.
 */
export async function startWorker(config: NodeConfig, options: { log: Logger; clock?: () => Date }): Promise<RunningWorker> {
  if (!config.databaseUrl) {
    throw new ConfigError('a worker needs the PostgreSQL database of its node (databaseUrl or DATABASE_URL): the embedded database belongs to one process');
  }
  const { log } = options;
  const clock = options.clock ?? (() => new Date());
  const stops = new StopList(log);
  try {
    const storage = await startStorage(config, log, stops, { seed: false });
    const { workerId } = await startProcessing(config, storage, true, clock, log, stops);
    const app = createWorkerApi(
      {
        db: storage.db,
        worker: { role: 'worker', workerId: workerId!, version: '0.1.0', databaseKind: storage.db.kind },
        metrics: storage.registry,
        diskPaths: { spool: path.join(config.dataDir, 'spool'), derived: path.join(config.dataDir, 'derived') },
        log,
      },
      { apiToken: config.api.token, allowedHosts: apiHostNames(config.api) },
    );
    const api = await startApi(app, { host: config.api.host, port: config.api.port });
    stops.add(() => api.close());
    log.info({ worker: workerId, host: config.api.host, port: api.port }, 'worker ready: health and metrics served');
    return { workerId: workerId!, apiPort: api.port, stop: () => stops.stopAll() };
  } catch (error) {
    await stops.stopAll();
    throw error;
  }
}
