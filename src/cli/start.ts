import { startNode, startWorker } from '../node/index.js';
import { runUntilSignal } from './run-until-signal.js';

/** `ctprep start [--no-workers]`: the node; without workers it receives, routes and serves the API while `ctprep worker` processes run the jobs. */
export async function runStart(options: { config: string; workers: boolean }): Promise<void> {
  await runUntilSignal(options.config, (config, log) => startNode(config, { log, runWorkers: options.workers }));
}

/** `ctprep worker`: job and delivery workers only, on the node's PostgreSQL queue and shared data folder. */
export async function runWorker(options: { config: string }): Promise<void> {
  await runUntilSignal(options.config, (config, log) => startWorker(config, { log }));
}
