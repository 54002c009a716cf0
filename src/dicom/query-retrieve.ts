import { InvalidInputError, UnavailableError } from '../errors.js';
import { CommandField, encodeCFindRequest, encodeCMoveRequest, type SubOperations } from './dimse-commands.js';
import { DimseStatus, isPending, statusText } from './dimse-status.js';
import { decodeIdentifier, encodeIdentifier, type Identifier } from './identifier.js';
import { type DicomPeer, ScuAssociation } from './scu-association.js';
import { SopClass, UNCOMPRESSED_TRANSFER_SYNTAXES } from './uids.js';

/**
 * Query/Retrieve as a user (PS3.4 annex C), Study Root: C-FIND of studies, series or images,
 * and C-MOVE of what an identifier names to an AE the peer knows (the peer opens its own
 * association to that AE and C-STOREs there; we only read its progress).
 */

export type QueryLevel = 'STUDY' | 'SERIES' | 'IMAGE';

export interface MoveResult {
  /** The final status: Success, or a warning (0xB000: some sub-operations failed), or a failure. */
  status: number;
  ok: boolean;
  subOperations: SubOperations;
  /** What the peer said (Error Comment), or what the status means. */
  error?: string;
  /** Instances the peer could not store, as its final response lists them. */
  failedSopInstanceUids: string[];
}

/** One association for a run of C-FINDs (Study Root), released by close(). */
export class FindSession {
  private constructor(
    private readonly association: ScuAssociation,
    private readonly context: { id: number; transferSyntaxUid: string },
  ) {}

  static async open(peer: DicomPeer, callingAeTitle: string, timeoutMs: number): Promise<FindSession> {
    const association = await openFor(SopClass.StudyRootFind, peer, callingAeTitle, timeoutMs);
    return new FindSession(association, acceptedContext(association, SopClass.StudyRootFind, 'Study Root C-FIND'));
  }

  get peerName(): string {
    return this.association.peerName;
  }

  /**
   * The matches of one C-FIND at `level`: `keys` are the matching keys and the attributes to
   * return ('' for return-only). With `limit`, a C-CANCEL once that many have come.
   */
  async find(level: QueryLevel, keys: Identifier, options: { limit?: number } = {}): Promise<Identifier[]> {
    const { id, transferSyntaxUid } = this.context;
    const identifier = encodeIdentifier({ ...keys, QueryRetrieveLevel: level }, transferSyntaxUid);
    const messageId = await this.association.request(id, (mid) => encodeCFindRequest({ messageId: mid, sopClassUid: SopClass.StudyRootFind }), identifier);
    const matches: Identifier[] = [];
    let cancelled = false;
    for (;;) {
      const { command, dataset } = await this.association.nextResponse(messageId, CommandField.CFindRsp);
      const status = command.status ?? DimseStatus.ProcessingFailure;
      if (isPending(status)) {
        if (!dataset) continue;
        if (!cancelled) matches.push(decodeIdentifier(dataset, transferSyntaxUid));
        if (!cancelled && options.limit !== undefined && matches.length >= options.limit) {
          this.association.cancel(id, messageId);
          cancelled = true;
        }
        continue;
      }
      if (status === DimseStatus.Success || status === DimseStatus.Cancel) return matches;
      throw new InvalidInputError(`${this.peerName} refused the ${level} C-FIND with status ${statusText(status)}${command.errorComment ? `: ${command.errorComment}` : ''}`);
    }
  }

  async close(): Promise<void> {
    try {
      await this.association.release();
    } catch {
      this.association.abort(); // every answer is in; a release that fails changes none of them
    }
  }

  abort(): void {
    this.association.abort();
  }
}

/**
 * C-MOVE of what `keys` names (at `level`) to `moveDestination`, on an association of its own.
 * `onProgress` sees each pending response's sub-operation counts. Throws UnavailableError when the
 * peer cannot be reached or goes silent for timeoutMs; a move the peer refuses or that failed in
 * part is a result with ok false.
 */
export async function move(request: {
  peer: DicomPeer;
  callingAeTitle: string;
  moveDestination: string;
  level: QueryLevel;
  keys: Identifier;
  timeoutMs: number;
  onProgress?: (subOperations: SubOperations) => void;
}): Promise<MoveResult> {
  const association = await openFor(SopClass.StudyRootMove, request.peer, request.callingAeTitle, request.timeoutMs);
  try {
    const { id, transferSyntaxUid } = acceptedContext(association, SopClass.StudyRootMove, 'Study Root C-MOVE');
    const identifier = encodeIdentifier({ ...request.keys, QueryRetrieveLevel: request.level }, transferSyntaxUid);
    const encode = (messageId: number) => encodeCMoveRequest({ messageId, sopClassUid: SopClass.StudyRootMove, moveDestination: request.moveDestination });
    const messageId = await association.request(id, encode, identifier);
    for (;;) {
      const { command, dataset } = await association.nextResponse(messageId, CommandField.CMoveRsp);
      const status = command.status ?? DimseStatus.ProcessingFailure;
      const subOperations = command.subOperations ?? { remaining: undefined, completed: undefined, failed: undefined, warning: undefined };
      if (isPending(status)) {
        request.onProgress?.(subOperations);
        continue;
      }
      await association.release().catch(() => association.abort());
      const failedSopInstanceUids = dataset ? failedInstances(decodeIdentifier(dataset, transferSyntaxUid)) : [];
      const ok = status === DimseStatus.Success && !subOperations.failed && failedSopInstanceUids.length === 0;
      return { status, ok, subOperations, failedSopInstanceUids, ...(ok ? {} : { error: command.errorComment ?? moveStatusMeaning(status, subOperations) }) };
    }
  } catch (error) {
    association.abort();
    throw error;
  }
}

function failedInstances(identifier: Identifier): string[] {
  const list = identifier.FailedSOPInstanceUIDList;
  return (Array.isArray(list) ? list : typeof list === 'string' ? list.split('\\') : []).filter((uid): uid is string => typeof uid === 'string' && uid !== '');
}

function moveStatusMeaning(status: number, counts: SubOperations): string {
  switch (status) {
    case DimseStatus.Success:
      return `${counts.failed ?? 0} sub-operations failed`;
    case DimseStatus.SuboperationsCompleteWithFailures:
      return `${counts.failed ?? 0} of ${(counts.completed ?? 0) + (counts.failed ?? 0) + (counts.warning ?? 0)} instances could not be stored at the destination`;
    case DimseStatus.MoveDestinationUnknown:
      return 'move destination unknown to the PACS';
    case DimseStatus.UnableToPerformSuboperations:
      return 'out of resources: unable to perform sub-operations';
    case DimseStatus.Cancel:
      return 'cancelled';
    default:
      return `status ${statusText(status)}`;
  }
}

function openFor(sopClassUid: string, peer: DicomPeer, callingAeTitle: string, timeoutMs: number): Promise<ScuAssociation> {
  return ScuAssociation.open(peer, { callingAeTitle, contexts: [{ abstractSyntaxUid: sopClassUid, transferSyntaxUids: [...UNCOMPRESSED_TRANSFER_SYNTAXES] }] }, timeoutMs);
}

function acceptedContext(association: ScuAssociation, sopClassUid: string, what: string): { id: number; transferSyntaxUid: string } {
  for (const [id, context] of association.contexts) {
    if (context.abstractSyntaxUid === sopClassUid) return { id, transferSyntaxUid: context.transferSyntaxUid };
  }
  association.abort();
  throw new UnavailableError(`${association.peerName} does not accept ${what}`);
}
