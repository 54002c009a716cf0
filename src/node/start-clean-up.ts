import path from 'node:path';
import type { NodeConfig } from '../config/schema.js';
import { openSpool } from '../ingest/index.js';
import type { Logger } from '../log.js';
import { startRetention } from '../retention/index.js';
import { systemTimers } from '../timers.js';
import type { Storage } from './start-storage.js';
import type { StopList } from './stop-list.js';

/**
 * Retention, in the receiving node only: one process cleans the shared data folder, however many
 * workers there are, so two passes never race over the same files.
 */
export async function startCleanUp(config: NodeConfig, storage: Storage, clock: () => Date, log: Logger, stops: StopList): Promise<void> {
  const spool = await openSpool(path.join(config.dataDir, 'spool'));
  const retention = startRetention({ db: storage.db, seriesDir: spool.seriesDir, dataDir: config.dataDir, clock, log, metrics: storage.metrics }, config.retention, systemTimers);
  stops.add(() => retention.stop());
}
