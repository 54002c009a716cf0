import { unknownVariables } from '../config/environment.js';
import { loadConfigIfPresent } from '../config/load-config.js';
import type { NodeConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';

/**
 * Loads the configuration (defaults where the file is missing), starts a long-running process
 * (the node or a worker) and stops it cleanly on SIGINT or SIGTERM.
 */
export async function runUntilSignal(configFile: string, start: (config: NodeConfig, log: Logger) => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const { config, found } = await loadConfigIfPresent(configFile);
  const log = createLogger();
  if (!found) log.warn({ file: configFile }, 'configuration file not found; using defaults');
  const unknown = unknownVariables(process.env);
  if (unknown.length > 0) log.warn({ variables: unknown }, 'these CTPREP_ variables name no setting and are ignored (README, Configuration)');
  const running = await start(config, log);
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
