import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, destinationSchema } from './schema.js';

/**
 * Settings from the environment, so a container is configured without a file. Every setting of the
 * schema has a variable named after its path: CTPREP_ and the path's keys in capitals with words
 * split by `_` (`jobs.concurrency` -> CTPREP_JOBS_CONCURRENCY, `dicom.tls.key` ->
 * CTPREP_DICOM_TLS_KEY). Numbers and booleans are parsed, lists of words are comma-separated, lists
 * of objects (dicom.callers) are JSON. Destinations: CTPREP_DESTINATION_<NAME>_<FIELD>. Aliases
 * kept from before: DATABASE_URL and CTPREP_AE_TITLE.
 */

type ValueKind = 'string' | 'number' | 'boolean' | 'list' | 'json';

export interface EnvironmentSetting {
  variable: string;
  path: string[];
  kind: ValueKind;
}

/** The configuration as read from the file with the environment applied, and which variable set which key path. */
export interface EnvironmentApplied {
  raw: Record<string, unknown>;
  /** Key path ("jobs.concurrency", "destinations.pacs.port") -> the variable that set it. */
  sources: Map<string, string>;
}

const PREFIX = 'CTPREP_';
const DESTINATION_PREFIX = `${PREFIX}DESTINATION_`;
const ALIASES: Record<string, string> = { DATABASE_URL: 'CTPREP_DATABASE_URL', CTPREP_AE_TITLE: 'CTPREP_DICOM_AE_TITLE' };

export function applyEnvironment(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvironmentApplied {
  const result = structuredClone(raw);
  const sources = new Map<string, string>();
  const set = (setting: EnvironmentSetting, text: string) => {
    setAt(result, setting.path, parseValue(text, setting));
    sources.set(setting.path.join('.'), setting.variable);
  };
  for (const setting of environmentSettings()) {
    const variable = [setting.variable, ...aliasesOf(setting.variable)].find((name) => present(env[name]));
    if (variable) set({ ...setting, variable }, env[variable]!);
  }
  const destinations = (result.destinations ??= {}) as Record<string, unknown>;
  for (const [variable, text] of Object.entries(env)) {
    const match = destinationVariable(variable);
    if (!match || !present(text)) continue;
    const name = Object.keys(destinations).find((existing) => nameInVariable(existing) === match.name) ?? match.name.toLowerCase().replace(/_/g, '-');
    set({ variable, path: ['destinations', name, ...match.field.path], kind: match.field.kind }, text);
  }
  return { raw: result, sources };
}

/** Every setting a CTPREP_ variable can set, but the destinations' (destinationFields). */
export function environmentSettings(): EnvironmentSetting[] {
  return leaves(configSchema, [])
    .filter((leaf) => leaf.path[0] !== 'destinations')
    .map((leaf) => ({ ...leaf, variable: variableFor(leaf.path) }));
}

/** A destination's fields, each with its variable's suffix (AE_TITLE, HOST, ..., TLS_CA). */
export function destinationFields(): EnvironmentSetting[] {
  return leaves(destinationSchema, []).map((leaf) => ({ ...leaf, variable: variableFor(leaf.path).slice(PREFIX.length) }));
}

/** CTPREP_ and the path in capitals, camelCase words split by `_`. */
export function variableFor(path: readonly string[]): string {
  return PREFIX + path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** The variable of one field of a destination: CTPREP_DESTINATION_PACS_HOST for ('pacs', ['host']). */
export function destinationVariableFor(name: string, fieldPath: readonly string[]): string {
  return `${DESTINATION_PREFIX}${nameInVariable(name)}_${variableFor(fieldPath).slice(PREFIX.length)}`;
}

/** Whether the configuration loader reads this variable (a setting, an alias or a destination's field). */
export function isConfigurationVariable(name: string): boolean {
  return name in ALIASES || destinationVariable(name) !== undefined || environmentSettings().some((setting) => setting.variable === name);
}

/** CTPREP_ variables that set nothing (a misspelt name, most likely), for a warning at start. */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((name) => name.startsWith(PREFIX) && !isConfigurationVariable(name)).sort();
}

function present(text: string | undefined): text is string {
  return text !== undefined && text !== '';
}

function aliasesOf(variable: string): string[] {
  return Object.keys(ALIASES).filter((alias) => ALIASES[alias] === variable);
}

/** A destination's name as it appears in its variables: capitals, '-' as '_'. */
function nameInVariable(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function destinationVariable(variable: string): { name: string; field: EnvironmentSetting } | undefined {
  const fields = destinationFields();
  // The shortest name that leaves a field's suffix, so that a name may itself hold '_'.
  const match = new RegExp(`^${DESTINATION_PREFIX}([A-Z0-9_]+?)_(${fields.map((field) => field.variable).join('|')})$`).exec(variable);
  return match ? { name: match[1], field: fields.find((field) => field.variable === match[2])! } : undefined;
}

/** The settings under a schema: its leaves, each with how a variable's text becomes its value. */
function leaves(schema: z.core.$ZodType, path: string[]): Omit<EnvironmentSetting, 'variable'>[] {
  const def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
      return leaves(def.innerType!, path);
    case 'object':
      return Object.entries(def.shape!).flatMap(([key, inner]) => leaves(inner, [...path, key]));
    case 'array':
      return [{ path, kind: ['string', 'enum'].includes(def.element!._zod.def.type) ? 'list' : 'json' }];
    case 'record':
      return [{ path, kind: 'json' }];
    case 'number':
    case 'boolean':
      return [{ path, kind: def.type }];
    default:
      return [{ path, kind: 'string' }];
  }
}

function parseValue(text: string, setting: EnvironmentSetting): unknown {
  const refuse = (expected: string) => new ConfigError(`${setting.variable}=${text}: ${setting.path.join('.')} is ${expected}`);
  switch (setting.kind) {
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw refuse('a number');
      return value;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw refuse('true or false');
      return text === 'true';
    case 'list':
      return text.split(',').map((item) => item.trim()).filter(Boolean);
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw refuse('JSON');
      }
    default:
      return text;
  }
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const inner = node[key];
    node = node[key] = inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
  }
  node[path.at(-1)!] = value;
}
