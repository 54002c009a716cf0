import { isIP } from 'node:net';
import { SopClass } from './uids.js';

/** What an association requestor proposed, as read from its A-ASSOCIATE-RQ. */
export interface AssociationRequest {
  callingAeTitle: string;
  calledAeTitle: string;
  contexts: ProposedContext[];
  /** The peer's address as the socket saw it (IPv4-mapped IPv6 addresses as plain IPv4). */
  remoteAddress?: string;
}

export interface ProposedContext {
  id: number;
  abstractSyntaxUid: string;
  transferSyntaxUids: readonly string[];
}

export type ContextDecision =
  | { id: number; abstractSyntaxUid: string; accepted: true; transferSyntaxUid: string }
  | {
      id: number;
      abstractSyntaxUid: string;
      accepted: false;
      reason: 'abstract-syntax-not-supported' | 'transfer-syntaxes-not-supported';
    };

export type RejectionReason =
  | 'called-ae-not-recognized'
  | 'calling-ae-not-recognized'
  | 'no-presentation-context'
  | 'too-many-associations';

export type AssociationAnswer =
  | { kind: 'accept'; contexts: ContextDecision[]; caller: CallerPolicy | undefined }
  | { kind: 'reject'; reason: RejectionReason; detail: string };

/** Who may send to the node: a calling AE title ('*' for any), optionally only from some addresses. */
export interface CallerPolicy {
  readonly aeTitle: string;
  /** IP addresses the AE may call from; absent or empty: any address. */
  readonly addresses?: readonly string[];
  /** An instance this caller sends again with other content: keep the first copy, or replace it. */
  readonly overwrite: 'keep-first' | 'replace';
}

export interface NegotiationPolicy {
  /** Our AE title; when checkCalledAeTitle, a request addressed to another AE is rejected. */
  aeTitle: string;
  checkCalledAeTitle: boolean;
  acceptedSopClasses: readonly string[];
  acceptedTransferSyntaxes: readonly string[];
  /** The callers allowed; undefined: any AE from any address. */
  callers?: readonly CallerPolicy[];
}

/** '::ffff:127.0.0.1' (an IPv4 peer on a dual-stack socket) as '127.0.0.1'. */
export function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** The caller entry that lets this AE call from this address, if any. */
export function findCaller(callers: readonly CallerPolicy[], aeTitle: string, address: string | undefined): CallerPolicy | undefined {
  const from = plainAddress(address);
  const fits = (caller: CallerPolicy) => !caller.addresses?.length || (from !== undefined && caller.addresses.map(plainAddress).includes(from));
  return callers.find((caller) => caller.aeTitle === aeTitle && fits(caller)) ?? callers.find((caller) => caller.aeTitle === '*' && fits(caller));
}

/**
 * Decides an association request: the called AE title must be ours and the caller allowed; then
 * Verification and the accepted storage classes get the first transfer syntax the requestor listed
 * that we accept (the requestor's preference, so datasets arrive as the sender holds them); every
 * other abstract syntax is refused. A request with no presentation context is refused whole.
 */
export function answerAssociation(request: AssociationRequest, policy: NegotiationPolicy): AssociationAnswer {
  if (policy.checkCalledAeTitle && request.calledAeTitle.trim() !== policy.aeTitle) {
    return { kind: 'reject', reason: 'called-ae-not-recognized', detail: `called AE title ${request.calledAeTitle} is not ${policy.aeTitle}` };
  }
  let caller: CallerPolicy | undefined;
  if (policy.callers) {
    caller = findCaller(policy.callers, request.callingAeTitle, request.remoteAddress);
    if (!caller) {
      return {
        kind: 'reject',
        reason: 'calling-ae-not-recognized',
        detail: `calling AE title ${request.callingAeTitle} from ${plainAddress(request.remoteAddress) ?? 'an unknown address'} is not an allowed caller`,
      };
    }
  }
  if (request.contexts.length === 0) {
    return { kind: 'reject', reason: 'no-presentation-context', detail: 'the request proposes no presentation context' };
  }
  return { kind: 'accept', contexts: request.contexts.map((context) => decideContext(context, policy)), caller };
}

function decideContext(context: ProposedContext, policy: NegotiationPolicy): ContextDecision {
  const { id, abstractSyntaxUid } = context;
  const supported =
    abstractSyntaxUid === SopClass.Verification || policy.acceptedSopClasses.includes(abstractSyntaxUid);
  if (!supported) return { id, abstractSyntaxUid, accepted: false, reason: 'abstract-syntax-not-supported' };
  const transferSyntaxUid = context.transferSyntaxUids.find((uid) => policy.acceptedTransferSyntaxes.includes(uid));
  if (transferSyntaxUid === undefined) {
    return { id, abstractSyntaxUid, accepted: false, reason: 'transfer-syntaxes-not-supported' };
  }
  return { id, abstractSyntaxUid, accepted: true, transferSyntaxUid };
}

/**
 * One log line per association request: rejected, or accepted with the refused abstract syntaxes
 * listed once each (storescu proposes about 120 storage classes; one line per context is noise).
 * A warning when nothing but Verification was accepted, since no instance can then arrive.
 */
export function describeAnswer(
  request: AssociationRequest,
  answer: AssociationAnswer,
  ourAeTitle: string,
): { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> } {
  const fields = { callingAeTitle: request.callingAeTitle, calledAeTitle: request.calledAeTitle, remoteAddress: plainAddress(request.remoteAddress) };
  if (answer.kind === 'reject') {
    return { level: 'warn', message: `rejected association: ${answer.detail}`, fields: { ...fields, reason: answer.reason, ourAeTitle } };
  }
  const refused = answer.contexts.filter((c) => !c.accepted);
  const storage = answer.contexts.filter((c) => c.accepted && c.abstractSyntaxUid !== SopClass.Verification);
  const refusedAbstractSyntaxes = [...new Set(refused.map((c) => c.abstractSyntaxUid))];
  return {
    level: storage.length === 0 && refused.length > 0 ? 'warn' : 'info',
    message:
      refused.length > 0
        ? `association accepted; refused ${refused.length} presentation contexts (abstract syntax or transfer syntaxes not supported)`
        : 'association accepted',
    fields: { ...fields, accepted: answer.contexts.length - refused.length, refusedAbstractSyntaxes },
  };
}
