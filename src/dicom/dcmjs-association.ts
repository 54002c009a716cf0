import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import dcmjsDimse from 'dcmjs-dimse';
import { InvalidInputError, UnavailableError } from '../errors.js';
import type { AssociationAnswer, AssociationRequest } from './negotiation-policy.js';

/**
 * Association negotiation (A-ASSOCIATE-RQ / -AC / -RJ) done by dcmjs-dimse, while the data
 * phase runs on our own reader. dcmjs-dimse's Network wants to own a socket, so it is given a
 * stand-in: we feed it only the association PDUs our reader assembled, and what it writes goes
 * to the real socket. The PDU classes are not exported by dcmjs-dimse, so this is the way to
 * reuse its encoder and parser of these variable-length PDUs (items, sub-items, user info).
 */

const { Scp } = dcmjsDimse;
const { Association } = dcmjsDimse.association;
const { PresentationContextResult, RejectResult, RejectSource, RejectReason } = dcmjsDimse.constants;

type DimseAssociation = InstanceType<typeof Association>;

class ControlPduChannel extends EventEmitter {
  constructor(private readonly send: (bytes: Buffer) => void) {
    super();
  }
  write(bytes: Buffer): boolean {
    this.send(bytes);
    return true;
  }
  setTimeout(): void {}
  end(): void {}
  destroy(): void {}
  /** Lets dcmjs-dimse's Network clear its per-connection interval timer. */
  dispose(): void {
    this.emit('close');
    this.removeAllListeners();
  }
}

class NegotiatingScp extends Scp {
  onRequest: ((association: DimseAssociation) => void) | undefined;
  override associationRequested(association: DimseAssociation): void {
    this.onRequest?.(association);
  }
}

function asSocket(channel: ControlPduChannel): Socket {
  return channel as unknown as Socket;
}

/** The outcome of an association we accepted. */
export interface AcceptedAssociation {
  request: AssociationRequest;
  /** Maximum P-DATA-TF length we announced, hence the most we accept. */
  maxPduLength: number;
  /** Accepted presentation contexts: id -> abstract syntax and transfer syntax. */
  contexts: Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>;
}

/**
 * Reads an A-ASSOCIATE-RQ, asks `decide`, and writes the A-ASSOCIATE-AC or -RJ through `send`.
 * Resolves with the accepted association, or undefined when it was rejected.
 */
export function answerAssociationRequest(
  requestPdu: Buffer,
  send: (bytes: Buffer) => void,
  maxPduLength: number,
  decide: (request: AssociationRequest) => AssociationAnswer,
): Promise<AcceptedAssociation | undefined> {
  return new Promise((resolve, reject) => {
    const channel = new ControlPduChannel(send);
    const scp = new NegotiatingScp(asSocket(channel));
    scp.on('networkError', (error: Error) => {
      channel.dispose();
      reject(new InvalidInputError(`unreadable A-ASSOCIATE-RQ: ${error.message}`, error));
    });
    scp.onRequest = (association) => {
      try {
        const request = describeRequest(association);
        const answer = decide(request);
        if (answer.kind === 'reject') {
          scp.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
          resolve(undefined);
          return;
        }
        const contexts = new Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>();
        for (const decision of answer.contexts) {
          const context = association.getPresentationContext(decision.id);
          if (decision.accepted) {
            context.setResult(PresentationContextResult.Accept, decision.transferSyntaxUid);
            contexts.set(decision.id, decision);
          } else if (decision.reason === 'abstract-syntax-not-supported') {
            context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          } else {
            context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
          }
        }
        association.setMaxPduLength(maxPduLength);
        scp.sendAssociationAccept(); // announces min(maxPduLength, dcmjs-dimse's implementation maximum)
        resolve({ request, maxPduLength: association.getMaxPduLength(), contexts });
      } catch (error) {
        reject(error);
      } finally {
        channel.dispose();
      }
    };
    channel.emit('data', requestPdu);
  });
}

function describeRequest(association: DimseAssociation): AssociationRequest {
  return {
    callingAeTitle: association.getCallingAeTitle().trim(),
    calledAeTitle: association.getCalledAeTitle().trim(),
    contexts: association.getPresentationContexts().map(({ id, context }) => ({
      id,
      abstractSyntaxUid: context.getAbstractSyntaxUid(),
      transferSyntaxUids: context.getTransferSyntaxUids(),
    })),
  };
}

export interface ProposedAssociation {
  callingAeTitle: string;
  calledAeTitle: string;
  /** Our maximum receive PDU length. */
  maxPduLength: number;
  contexts: { abstractSyntaxUid: string; transferSyntaxUids: string[] }[];
}

export interface NegotiatedAssociation {
  /** The acceptor's maximum receive PDU length (0: no limit). */
  peerMaxPduLength: number;
  /** Accepted presentation contexts only: id -> abstract syntax and the accepted transfer syntax. */
  contexts: Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>;
}

/**
 * The requestor side: writes the A-ASSOCIATE-RQ at once, then reads the answer handed to
 * receive(). `outcome` rejects with UnavailableError when the peer rejects the association.
 */
export class AssociationRequestor {
  readonly outcome: Promise<NegotiatedAssociation>;
  private readonly channel: ControlPduChannel;

  constructor(proposal: ProposedAssociation, send: (bytes: Buffer) => void, peerName: string) {
    this.channel = new ControlPduChannel(send);
    const network = new Scp(asSocket(this.channel)); // Network is not exported; Scp is its exported subclass
    const association = new Association(proposal.callingAeTitle, proposal.calledAeTitle);
    association.setMaxPduLength(proposal.maxPduLength);
    for (const context of proposal.contexts) {
      const id = association.addPresentationContext(context.abstractSyntaxUid);
      for (const uid of context.transferSyntaxUids) association.addTransferSyntaxToPresentationContext(id, uid);
    }
    this.outcome = new Promise((resolve, reject) => {
      network.on('associationAccepted', (accepted: DimseAssociation) => resolve(describeAccepted(accepted)));
      network.on('associationRejected', (rejection: { result: number; source: number; reason: number }) =>
        reject(
          new UnavailableError(
            `${peerName} rejected the association (result ${rejection.result}, source ${rejection.source}, reason ${rejection.reason})`,
          ),
        ),
      );
      network.on('networkError', (error: Error) =>
        reject(new UnavailableError(`${peerName}: unreadable association answer: ${error.message}`, error)),
      );
    });
    this.outcome.then(
      () => this.channel.dispose(),
      () => this.channel.dispose(),
    );
    network.sendAssociationRequest(association);
  }

  /** Hands an A-ASSOCIATE-AC or -RJ PDU (header included) to dcmjs-dimse. */
  receive(pdu: Buffer): void {
    this.channel.emit('data', pdu);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

function describeAccepted(association: DimseAssociation): NegotiatedAssociation {
  const contexts = new Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>();
  for (const { id, context } of association.getPresentationContexts()) {
    const transferSyntaxUid = context.getAcceptedTransferSyntaxUid();
    if (context.getResult() === PresentationContextResult.Accept && transferSyntaxUid) {
      contexts.set(id, { abstractSyntaxUid: context.getAbstractSyntaxUid(), transferSyntaxUid });
    }
  }
  return { peerMaxPduLength: association.getMaxPduLength(), contexts };
}
