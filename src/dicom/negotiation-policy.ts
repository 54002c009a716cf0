import { SopClass } from './uids.js';

/** What an association requestor proposed, as read by dcmjs-dimse. */
export interface AssociationRequest {
  callingAeTitle: string;
  calledAeTitle: string;
  contexts: ProposedContext[];
}

export interface ProposedContext {
  id: number;
  abstractSyntaxUid: string;
  transferSyntaxUids: string[];
}

export type ContextDecision =
  | { id: number; abstractSyntaxUid: string; accepted: true; transferSyntaxUid: string }
  | {
      id: number;
      abstractSyntaxUid: string;
      accepted: false;
      reason: 'abstract-syntax-not-supported' | 'transfer-syntaxes-not-supported';
    };

export type AssociationAnswer =
  | { kind: 'accept'; contexts: ContextDecision[] }
  | { kind: 'reject'; reason: 'called-ae-not-recognized' };

export interface NegotiationPolicy {
  /** Our AE title; when checkCalledAeTitle, a request addressed to another AE is rejected. */
  aeTitle: string;
  checkCalledAeTitle: boolean;
  acceptedSopClasses: readonly string[];
  acceptedTransferSyntaxes: readonly string[];
}

/**
 * Decides an association request: Verification and the accepted storage classes get the first
 * transfer syntax the requestor listed that we accept (the requestor's preference, so datasets
 * arrive as the sender holds them); every other abstract syntax is refused.
 */
export function answerAssociation(request: AssociationRequest, policy: NegotiationPolicy): AssociationAnswer {
  if (policy.checkCalledAeTitle && request.calledAeTitle.trim() !== policy.aeTitle) {
    return { kind: 'reject', reason: 'called-ae-not-recognized' };
  }
  return { kind: 'accept', contexts: request.contexts.map((context) => decideContext(context, policy)) };
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
  const fields = { callingAeTitle: request.callingAeTitle, calledAeTitle: request.calledAeTitle };
  if (answer.kind === 'reject') {
    return { level: 'warn', message: 'rejected association: called AE title is not ours', fields: { ...fields, ourAeTitle } };
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
