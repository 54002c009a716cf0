import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { configSchema, type NodeConfig } from './schema.js';
import { describeIssues } from '../validation.js';

export function parseConfig(raw: unknown, source = 'configuration'): NodeConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(`invalid ${source}:\n${describeIssues(parsed.error).join('\n')}`);
  return parsed.data;
}

/**
 * Reads the configuration once at start-up: the JSON file (if it exists), then the environment
 * variables that deployments commonly set. Relative paths are resolved against the working folder.
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
  const config = parseConfig(applyEnvironment(raw, env), file ?? 'configuration');
  return {
    ...config,
    dataDir: path.resolve(config.dataDir),
    rulesFile: path.resolve(config.rulesFile),
    calibrationsDir: path.resolve(config.calibrationsDir),
    inference: { ...config.inference, modelsDir: path.resolve(config.inference.modelsDir) },
  };
}

function applyEnvironment(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result = { ...raw };
  if (env.DATABASE_URL) result.databaseUrl = env.DATABASE_URL;
  const dicom = { ...((raw.dicom as Record<string, unknown>) ?? {}) };
  if (env.CTPREP_AE_TITLE) dicom.aeTitle = env.CTPREP_AE_TITLE;
  if (env.CTPREP_DICOM_PORT) dicom.port = Number(env.CTPREP_DICOM_PORT);
  if (env.CTPREP_DICOM_HOST) dicom.host = env.CTPREP_DICOM_HOST;
  result.dicom = dicom;
  if (env.CTPREP_DATA_DIR) result.dataDir = env.CTPREP_DATA_DIR;
  const api = { ...((raw.api as Record<string, unknown>) ?? {}) };
  if (env.CTPREP_API_HOST) api.host = env.CTPREP_API_HOST;
  if (env.CTPREP_API_PORT) api.port = Number(env.CTPREP_API_PORT);
  if (env.CTPREP_API_TOKEN) api.token = env.CTPREP_API_TOKEN;
  if (env.CTPREP_API_ALLOWED_HOSTS) api.allowedHosts = env.CTPREP_API_ALLOWED_HOSTS.split(',').map((name) => name.trim()).filter(Boolean);
  result.api = api;
  result.destinations = destinationsFromEnvironment((raw.destinations as Record<string, Record<string, unknown>>) ?? {}, env);
  return result;
}

const DESTINATION_VARIABLE = /^CTPREP_DESTINATION_([A-Z0-9_]+?)_(AE_TITLE|HOST|PORT|ORTHANC_URL)$/;

/**
 * CTPREP_DESTINATION_<NAME>_AE_TITLE, _HOST, _PORT and _ORTHANC_URL set (or add) a destination's
 * fields, so a container can point the node at its PACS; <NAME> is the destination's name in
 * capitals with '-' written as '_' (PACS for "pacs", RESEARCH_PACS for "research-pacs").
 */
function destinationsFromEnvironment(destinations: Record<string, Record<string, unknown>>, env: NodeJS.ProcessEnv): Record<string, Record<string, unknown>> {
  const result = Object.fromEntries(Object.entries(destinations).map(([name, destination]) => [name, { ...destination }]));
  const nameFor = (variable: string) => Object.keys(result).find((name) => name.toUpperCase().replace(/-/g, '_') === variable) ?? variable.toLowerCase().replace(/_/g, '-');
  for (const [key, value] of Object.entries(env)) {
    const match = DESTINATION_VARIABLE.exec(key);
    if (!match || value === undefined || value === '') continue;
    const name = nameFor(match[1]);
    const destination = (result[name] ??= {});
    if (match[2] === 'AE_TITLE') destination.aeTitle = value;
    else if (match[2] === 'HOST') destination.host = value;
    else if (match[2] === 'PORT') destination.port = Number(value);
    else destination.orthancUrl = value;
  }
  return result;
}
