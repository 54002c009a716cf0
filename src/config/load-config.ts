import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { configSchema, type NodeConfig } from './schema.js';
import { describeIssues } from '../validation.js';
import { applyEnvironment } from './environment.js';

/**
 * Validates a configuration; each problem names its key path, and the variable that set it where
 * `fromEnvironment` (key path -> variable) says one did.
 */
export function parseConfig(raw: unknown, source = 'configuration', fromEnvironment = new Map<string, string>()): NodeConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = describeIssues(parsed.error).map((line) => {
      const variable = fromEnvironment.get(line.slice(0, line.indexOf(':')));
      return variable ? `${line} (set by ${variable})` : line;
    });
    throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * Reads the configuration once at start-up: the JSON file (if it exists), then the environment,
 * which can set every setting (environment.ts). Relative paths are resolved against the working folder.
 */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NodeConfig> {
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read configuration file ${file}: ${(error as Error).message}`, error);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`configuration file ${file} is not valid JSON: ${(error as Error).message}`, error);
    }
  }
  const applied = applyEnvironment(raw, env);
  const config = parseConfig(applied.raw, file ?? 'configuration', applied.sources);
  return {
    ...config,
    dataDir: path.resolve(config.dataDir),
    rulesFile: path.resolve(config.rulesFile),
    calibrationsDir: path.resolve(config.calibrationsDir),
    inference: { ...config.inference, modelsDir: path.resolve(config.inference.modelsDir) },
  };
}

/** The configuration of `file`, or the defaults (with the environment) where no such file exists; `found` says which. */
export async function loadConfigIfPresent(file: string, env: NodeJS.ProcessEnv = process.env): Promise<{ config: NodeConfig; found: boolean }> {
  const found = await access(file).then(() => true, () => false);
  return { config: await loadConfig(found ? file : undefined, env), found };
}
