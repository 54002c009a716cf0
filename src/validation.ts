import { z } from 'zod';

/**
 * The one home of validation shared across the node: how zod issues are written for people, and
 * the syntax of AE titles, ports and UIDs. Every boundary (configuration, rules, manifests, API,
 * DICOM input) checks these the same way.
 */

/** An AE title: 1-16 printable characters, no backslash; leading/trailing spaces are padding. */
const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

export function isAeTitle(value: string): boolean {
  return AE_TITLE.test(value) && value.trim().length > 0;
}

export const aeTitleSchema = z
  .string()
  .regex(AE_TITLE, 'an AE title is 1-16 printable characters without backslash')
  .refine((value) => value.trim().length > 0, 'an AE title cannot be blank');

export const portSchema = z.number().int().min(0).max(65535);

/** A UID as PS3.5 9.1 writes it: numeric components without leading zeros, at most 64 characters. */
const STRICT_UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
/** What archives hold: digits and dots with no empty component (leading zeros happen). */
const LENIENT_UID = /^[0-9]+(\.[0-9]+)*$/;
export const MAX_UID_LENGTH = 64;

/** UIDs we write, and UIDs people give us (API paths, configuration). */
export function isStrictUid(value: string): boolean {
  return value.length <= MAX_UID_LENGTH && STRICT_UID.test(value);
}

/** UIDs received in DICOM data: safe as file names, even with leading zeros in a component. */
export function isReceivedUid(value: string): boolean {
  return value.length <= MAX_UID_LENGTH && LENIENT_UID.test(value);
}

/** Digits left for a hash after a UID root; fewer would make collisions plausible. */
export const MIN_UID_HASH_DIGITS = 20;

export const uidRootSchema = z
  .string()
  .refine((root) => STRICT_UID.test(root), 'a UID root is a dotted list of numbers without leading zeros')
  .refine((root) => root === '2.25' || root.length <= MAX_UID_LENGTH - 1 - MIN_UID_HASH_DIGITS, `a UID root leaves at least ${MIN_UID_HASH_DIGITS} digits for the hash`);

// ------------------------------------------------------------------------------------ zod issues

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** "rules[2].match.sliceThickness.min", or "(top level)". */
export function keyPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    '',
  );
}

/**
 * A union's issue lists every branch's failures. When one branch failed only inside the value
 * (the value had that branch's type), its failures are the useful ones; otherwise the value had
 * none of the branches' types.
 */
function formatUnion(issue: Extract<Issue, { code: 'invalid_union' }>, path: Path): string[] {
  const shapeMismatch = (inner: Issue): boolean => inner.path.length === 0 && inner.code === 'invalid_type';
  const fitting = issue.errors.find((branch) => branch.length > 0 && !branch.some(shapeMismatch));
  if (fitting) return fitting.flatMap((inner) => formatIssue(inner, path));
  const expected = issue.errors
    .flat()
    .filter(shapeMismatch)
    .map((inner) => (inner as z.core.$ZodIssueInvalidType).expected);
  return [`${keyPath(path)}: expected ${[...new Set(expected)].join(' or ')}`];
}

function formatIssue(issue: Issue, parentPath: Path): string[] {
  const path = [...parentPath, ...issue.path];
  if (issue.code === 'invalid_union') return formatUnion(issue, path);
  return [`${keyPath(path)}: ${issue.message.replace(/^Invalid input: /, '')}`];
}

/** One line per problem, each naming its key path under `parentPath`. */
export function describeIssues(error: z.ZodError, parentPath: Path = []): string[] {
  return error.issues.flatMap((issue) => formatIssue(issue, parentPath));
}
