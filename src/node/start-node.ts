import type { NodeConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { startCleanUp } from './start-clean-up.js';
import { startHttp } from './start-http.js';
import { startProcessing } from './start-processing.js';
import { startReceiving } from './start-receiving.js';
import { startStorage } from './start-storage.js';
import { StopList } from './stop-list.js';

export interface RunningNode {
  readonly dicomPort: number;
  readonly apiPort: number;
  readonly db: Database;
  /** Runs the series-completion check now instead of waiting for the next tick. */
  checkCompletion(): Promise<void>;
  /** Resolves when every instance received so far is indexed. */
  whenIndexed(): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeOptions {
  log: Logger;
  clock?: () => Date;
  /** Set false to receive and route without processing: `ctprep worker` processes run the jobs (see start-worker.ts). */
  runWorkers?: boolean;
}

/**
 * The one place where the stages meet, in the order a series goes through them: storage
 * (database, rules, queue), processing (inference, job and delivery workers), receiving (spool,
 * ingest and routing, DICOM listener), clean-up (retention) and HTTP (API, console, metrics).
 */
export async function startNode(config: NodeConfig, options: NodeOptions): Promise<RunningNode> {
  const { log } = options;
  const clock = options.clock ?? (() => new Date());
  const stops = new StopList(log);
  try {
    const storage = await startStorage(config, log, stops, { seed: true });
    const { inference } = await startProcessing(config, storage, options.runWorkers !== false, clock, log, stops);
    const { ingest, listener } = await startReceiving(config, storage, clock, log, stops);
    await startCleanUp(config, storage, clock, log, stops);
    const api = await startHttp(config, storage, inference, listener.port, clock, log, stops);
    return {
      dicomPort: listener.port,
      apiPort: api.port,
      db: storage.db,
      checkCompletion: () => ingest.checkCompletion(),
      whenIndexed: () => ingest.drained(),
      stop: () => stops.stopAll(),
    };
  } catch (error) {
    await stops.stopAll();
    throw error;
  }
}
