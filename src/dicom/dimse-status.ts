import { InvalidInputError } from '../errors.js';

/** DIMSE status codes (PS3.4 B.2.3, C.4, PS3.7 C) the node answers or reads. */
export const DimseStatus = {
  Success: 0x0000,
  ProcessingFailure: 0x0110,
  SopClassNotSupported: 0x0122,
  OutOfResources: 0xa700,
  /** C-MOVE: out of resources, unable to perform sub-operations. */
  UnableToPerformSuboperations: 0xa702,
  /** C-MOVE: the SCP does not know the Move Destination AE title. */
  MoveDestinationUnknown: 0xa801,
  DatasetDoesNotMatchSopClass: 0xa900,
  /** C-MOVE: sub-operations complete, one or more failures or warnings. */
  SuboperationsCompleteWithFailures: 0xb000,
  CannotUnderstand: 0xc000,
  Cancel: 0xfe00,
  Pending: 0xff00,
  /** C-FIND: pending, some optional keys were not supported for matching. */
  PendingWithWarning: 0xff01,
} as const;

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The C-STORE status for an instance that could not be stored: a full disk is Out of Resources
 * (the sender may retry later), input we reject is Cannot Understand, anything else Processing
 * Failure. Causes are followed, so a wrapped ENOSPC still counts as a full disk.
 */
export function storeStatusForError(error: unknown): number {
  if (isDiskFull(error)) return DimseStatus.OutOfResources;
  const chosen = (error as { status?: unknown } | undefined)?.status;
  if (error instanceof InvalidInputError && typeof chosen === 'number') return chosen;
  if (error instanceof InvalidInputError) return DimseStatus.CannotUnderstand;
  return DimseStatus.ProcessingFailure;
}

function isDiskFull(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Success and the C-STORE warnings (Bxxx: stored, with coercion or elements discarded). */
export function isStoreSuccess(status: number): boolean {
  return status === DimseStatus.Success || (status & 0xf000) === 0xb000;
}

/** A C-FIND or C-MOVE response that more responses follow. */
export function isPending(status: number): boolean {
  return status === DimseStatus.Pending || status === DimseStatus.PendingWithWarning;
}

/** The status as people read it in logs and reports: 0xa801. */
export function statusText(status: number): string {
  return `0x${status.toString(16).padStart(4, '0')}`;
}
