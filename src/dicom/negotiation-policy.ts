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
