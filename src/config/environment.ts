import { ConfigError } from '../errors.js';
import { configSchema } from './schema.js';

/**
 * Settings from the environment, so a container is configured without a file. Every setting has a
 * variable named after its path: CTPREP_ and the path's keys in capitals with words split by `_`
 * (`jobs.concurrency` -> CTPREP_JOBS_CONCURRENCY, `retention.derivedHours` ->
 * CTPREP_RETENTION_DERIVED_HOURS, `databaseSchema` -> CTPREP_DATABASE_SCHEMA). Numbers and
 * booleans are parsed, lists are comma-separated. Aliases kept from before: DATABASE_URL and
 * CTPREP_AE_TITLE. Destinations: CTPREP_DESTINATION_<NAME>_<FIELD> (destinationsFromEnvironment).
 */
export function applyEnvironment(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result = structuredClone(raw);
  const aliases: Record<string, string> = { DATABASE_URL: 'CTPREP_DATABASE_URL', CTPREP_AE_TITLE: 'CTPREP_DICOM_AE_TITLE' };
  const values = { ...env };
  for (const [alias, name] of Object.entries(aliases)) if (values[alias] && !values[name]) values[name] = values[alias];
  for (const setting of environmentSettings()) {
    const text = values[setting.variable];
    if (text === undefined || text === '') continue;
    setAt(result, setting.path, parseValue(text, setting));
  }
  result.destinations = destinationsFromEnvironment((raw.destinations as Record<string, Record<string, unknown>>) ?? {}, env);
  return result;
}

type ValueKind = 'string' | 'number' | 'boolean' | 'list';

export interface EnvironmentSetting {
  variable: string;
  path: string[];
  kind: ValueKind;
}

/** Settings without a default (absent unless set), which the defaults below cannot show. */
const OPTIONAL_SETTINGS: EnvironmentSetting[] = [
  { variable: 'CTPREP_DATABASE_URL', path: ['databaseUrl'], kind: 'string' },
  { variable: 'CTPREP_DATABASE_SCHEMA', path: ['databaseSchema'], kind: 'string' },
  { variable: 'CTPREP_API_TOKEN', path: ['api', 'token'], kind: 'string' },
];

/** Objects of the configuration that are not single settings (set in the file, or per destination). */
const NOT_FROM_ENVIRONMENT = new Set(['destinations', 'dicom.callers', 'dicom.tls']);

/** Every setting a variable can set: the leaves of the defaults, and the optional ones. */
export function environmentSettings(): EnvironmentSetting[] {
  const settings = [...OPTIONAL_SETTINGS];
  const walk = (value: unknown, path: string[]) => {
    if (NOT_FROM_ENVIRONMENT.has(path.join('.'))) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
      return;
    }
    const kind: ValueKind = Array.isArray(value) ? 'list' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
    settings.push({ variable: variableFor(path), path, kind });
  };
  walk(configSchema.parse({}), []);
  return settings;
}

/** CTPREP_ and the path in capitals, camelCase words split by `_`. */
export function variableFor(path: readonly string[]): string {
  return `CTPREP_${path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}

function parseValue(text: string, setting: EnvironmentSetting): unknown {
  if (setting.kind === 'number') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`${setting.variable}=${text}: ${setting.path.join('.')} is a number`);
    return value;
  }
  if (setting.kind === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new ConfigError(`${setting.variable}=${text}: ${setting.path.join('.')} is true or false`);
    return text === 'true';
  }
  if (setting.kind === 'list') return text.split(',').map((item) => item.trim()).filter(Boolean);
  return text;
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const inner = node[key];
    node = node[key] = inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
  }
  node[path.at(-1)!] = value;
}

const DESTINATION_VARIABLE = /^CTPREP_DESTINATION_([A-Z0-9_]+?)_(AE_TITLE|HOST|PORT|ORTHANC_URL|VIEWER_URL)$/;
const DESTINATION_FIELDS = { AE_TITLE: 'aeTitle', HOST: 'host', PORT: 'port', ORTHANC_URL: 'orthancUrl', VIEWER_URL: 'viewerUrl' } as const;

/**
 * CTPREP_DESTINATION_<NAME>_AE_TITLE, _HOST, _PORT, _ORTHANC_URL and _VIEWER_URL set (or add) a
 * destination's fields, so a container can point the node at its PACS; <NAME> is the destination's
 * name in capitals with '-' written as '_' (PACS for "pacs", RESEARCH_PACS for "research-pacs").
 */
function destinationsFromEnvironment(destinations: Record<string, Record<string, unknown>>, env: NodeJS.ProcessEnv): Record<string, Record<string, unknown>> {
  const result = Object.fromEntries(Object.entries(destinations).map(([name, destination]) => [name, { ...destination }]));
  const nameFor = (variable: string) => Object.keys(result).find((name) => name.toUpperCase().replace(/-/g, '_') === variable) ?? variable.toLowerCase().replace(/_/g, '-');
  for (const [key, value] of Object.entries(env)) {
    const match = DESTINATION_VARIABLE.exec(key);
    if (!match || value === undefined || value === '') continue;
    const destination = (result[nameFor(match[1])] ??= {});
    const field = DESTINATION_FIELDS[match[2] as keyof typeof DESTINATION_FIELDS];
    destination[field] = field === 'port' ? Number(value) : value;
  }
  return result;
}
