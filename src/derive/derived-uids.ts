import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { describeIssues, isStrictUid, MAX_UID_LENGTH, uidRootSchema } from '../validation.js';


/** Checks a UID root before any UID is built from it; the message names the root. */
export function checkUidRoot(uidRoot: string): void {
  const checked = uidRootSchema.safeParse(uidRoot);
  if (!checked.success) throw new ConfigError(`uidRoot "${uidRoot}": ${describeIssues(checked.error).map((line) => line.replace(/^\(top level\): /, '')).join('; ')}`);
}

/**
 * A UID that depends only on its inputs: the same source and steps give the same UIDs, so writing
 * a derived series again replaces it instead of duplicating it. Under the root 2.25 it is the
 * decimal form of a name-based UUID (RFC 9562 version 8, SHA-256); under any other root it is the
 * root followed by the hash's decimal digits, cut to 64 characters.
 */
export function deterministicUid(uidRoot: string, ...parts: readonly string[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest();
  if (uidRoot === '2.25') return `2.25.${uuidFromHash(hash)}`;
  const digits = BigInt(`0x${hash.toString('hex')}`).toString(10);
  return `${uidRoot}.${digits.slice(0, MAX_UID_LENGTH - uidRoot.length - 1)}`;
}

function uuidFromHash(hash: Buffer): string {
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC variant
  return BigInt(`0x${bytes.toString('hex')}`).toString(10);
}

export const isValidUid = isStrictUid;
