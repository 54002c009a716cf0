/**
 * How the node recognises a series it derived itself, so that it never routes its own output
 * again (a PACS that forwards everything would otherwise make a loop). One check, used by routing,
 * the rules dry run and offline processing alike.
 */
export interface OwnOutputMarks {
  /** UID root of derived series; under 2.25 (UUID-derived UIDs, shared with the world) it tells nothing. */
  readonly uidRoot: string;
  /** What the node writes at the start of DerivationDescription of its output. */
  readonly nodeName: string;
}

export function isUnderOwnRoot(uid: string, uidRoot: string): boolean {
  return uidRoot !== '2.25' && uid.startsWith(`${uidRoot}.`);
}

function text(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.trim() !== '' ? first.trim() : undefined;
}

/**
 * A series is the node's own output when its SeriesInstanceUID lies under the node's UID root,
 * its DerivationDescription names the node, or the node recorded it as derived (`recorded`, from
 * the derived_series table where there is a database).
 */
export function isOwnOutput(header: Record<string, unknown>, marks: OwnOutputMarks, recorded = false): boolean {
  const uid = text(header.SeriesInstanceUID);
  const derivation = text(header.DerivationDescription);
  return recorded || (uid !== undefined && isUnderOwnRoot(uid, marks.uidRoot)) || (derivation !== undefined && derivation.includes(marks.nodeName));
}
