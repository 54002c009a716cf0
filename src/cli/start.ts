import { access } from 'node:fs/promises';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log.js';
import { startNode } from '../node/start-node.js';

export async function runStart(options: { config: string }): Promise<void> {
  const file = await access(options.config).then(() => options.config, () => undefined);
  const config = await loadConfig(file);
  const log = createLogger();
  if (!file) log.warn({ file: options.config }, 'configuration file not found; using defaults');
  const node = await startNode(config, { log });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await node.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
