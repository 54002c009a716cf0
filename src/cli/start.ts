import { ConfigError } from '../errors.js';
import { startNode, startWorker } from '../node/index.js';
import { runUntilSignal } from './run-until-signal.js';

/** `ctprep start [--no-workers]`: the node; without workers it receives, routes and serves the API while `ctprep worker` processes run the jobs. */
export async function runStart(options: { config: string; workers: boolean }): Promise<void> {
  await runUntilSignal(options.config, (config, log) => {
    if (!options.workers && !config.databaseUrl) {
      throw new ConfigError('--no-workers needs PostgreSQL (databaseUrl or DATABASE_URL): `ctprep worker` processes share the queue through it, and the embedded database belongs to one process');
    }
    return startNode(config, { log, runWorkers: options.workers });
  });
}

/** `ctprep worker`: job and delivery workers only, on the node's PostgreSQL queue and shared data folder. */
export async function runWorker(options: { config: string }): Promise<void> {
  await runUntilSignal(options.config, (config, log) => startWorker(config, { log }));
}
