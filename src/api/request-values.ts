import { RULE_ID_PATTERN } from '../route/rule.js';
import { badRequest } from './http-error.js';
import { isStrictUid } from '../validation.js';
import type { Page } from '../store/page.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DICOM UID: numeric components separated by dots, no leading zeros, at most 64 characters. */

export function uuidParam(value: string, name: string): string {
  if (!UUID.test(value)) throw badRequest(`${name}: expected a UUID, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

export function seriesUidParam(value: string, name = 'seriesInstanceUid'): string {
  if (!isStrictUid(value)) {
    throw badRequest(`${name}: expected a DICOM UID (digits and dots, at most 64 characters), got ${JSON.stringify(value)}`);
  }
  return value;
}

export function ruleIdParam(value: string, name = 'id'): string {
  if (value.length > 64 || !RULE_ID_PATTERN.test(value)) {
    throw badRequest(`${name}: expected a rule id (lower-case letters, digits and single hyphens), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A query-string value as one string: absent stays undefined, a repeated parameter is refused. */
function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name}: give this parameter once, as a plain value`);
  return value;
}

export function integerQuery(value: unknown, name: string, range: { min: number; max: number; default: number }): number {
  const text = single(value, name);
  if (text === undefined || text === '') return range.default;
  if (!/^\d+$/.test(text)) throw badRequest(`${name}: expected a whole number, got ${JSON.stringify(text)}`);
  const number = Number(text);
  if (number < range.min || number > range.max) throw badRequest(`${name}: expected ${range.min} to ${range.max}, got ${number}`);
  return number;
}

export function stateQuery<State extends string>(value: unknown, allowed: readonly State[]): State | undefined {
  const text = single(value, 'state');
  if (text === undefined || text === '') return undefined;
  if (!(allowed as readonly string[]).includes(text)) {
    throw badRequest(`state: expected one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as State;
}

export type { Page };

export function pageQuery(query: Record<string, unknown>): Page {
  return {
    limit: integerQuery(query.limit, 'limit', { min: 1, max: 500, default: 50 }),
    offset: integerQuery(query.offset, 'offset', { min: 0, max: 1_000_000, default: 0 }),
  };
}
