import { InvalidInputError } from '../errors.js';
import type { CancelTimer, Timers } from '../timers.js';
import {
  APPLICATION_CONTEXT,
  ContextResult,
  decodeAssociateRequest,
  encodeAssociateAccept,
  encodeAssociateReject,
  RejectReason,
  type AssociateRejectPdu,
} from './association-pdu.js';
import type { DicomLogger } from './dicom-logger.js';
import { errorFields, withFields } from './dicom-logger.js';
import { CommandField, encodeCEchoResponse, encodeCStoreResponse, parseCommand } from './dimse-commands.js';
import { DimseStatus } from './dimse-status.js';
import { IncomingStore, type StoreSettings } from './incoming-store.js';
import type { AssociationEnd, DicomListenerHandlers } from './listener-types.js';
import {
  type AssociationAnswer,
  type AssociationRequest,
  answerAssociation,
  type CallerPolicy,
  describeAnswer,
  type NegotiationPolicy,
  plainAddress,
  type RejectionReason,
} from './negotiation-policy.js';
import { TransferSyntax } from './uids.js';
import type { AssociationSocket } from './association-socket.js';
import { CommandSetAssembler } from './command-set-assembler.js';
import { IdleDeadline } from './idle-deadline.js';
import { MAX_CONTROL_PDU_LENGTH } from './pdu-limits.js';
import { PduReader, type PduSink, PduType } from './pdu-reader.js';
import { AbortReason, abortPdu, pDataPdu, releaseResponsePdu } from './pdu-writer.js';

/** Counts open associations so that the listener can refuse beyond its limits. */
export interface Admission {
  /** Takes a place for this caller; a message saying which limit is reached when there is none. */
  admit(callingAeTitle: string): string | undefined;
  release(callingAeTitle: string): void;
}

export interface ScpSettings {
  associationId: string;
  policy: NegotiationPolicy;
  admission: Admission;
  maxPduLength: number;
  /** Reading pauses while more than this many received bytes wait to be written. */
  maxBufferedBytes: number;
  /** Between PDUs, an association waiting on the peer this long is aborted. */
  idleTimeoutMs: number;
  /** From the connection to the whole A-ASSOCIATE-RQ. */
  setupTimeoutMs: number;
  /** From the first byte of a PDU to its last, while we are reading. */
  pduTimeoutMs: number;
  implementationClassUid: string;
  implementationVersionName: string;
  store: StoreSettings;
  logger: DicomLogger;
  timers: Timers;
}

/** Presentation contexts of an accepted association: id -> abstract syntax and transfer syntax. */
interface AcceptedAssociation {
  request: AssociationRequest;
  caller: CallerPolicy | undefined;
  contexts: Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>;
}

const REJECTIONS: Record<RejectionReason, AssociateRejectPdu> = {
  'called-ae-not-recognized': { result: 1, source: 1, reason: RejectReason.CalledAeNotRecognized },
  'calling-ae-not-recognized': { result: 1, source: 1, reason: RejectReason.CallingAeNotRecognized },
  'no-presentation-context': { result: 1, source: 1, reason: RejectReason.NoReasonGiven },
  'too-many-associations': { result: 2, source: 3, reason: RejectReason.LocalLimitExceeded },
};

const ABORT_LINGER_MS = 1000;

type Phase = 'awaiting-request' | 'negotiating' | 'established' | 'ended';

/**
 * One accepted TCP connection on the listener, from A-ASSOCIATE-RQ to close. Bytes are read by
 * PduReader; the A-ASSOCIATE-RQ is decoded (association-pdu.ts) and answered by the negotiation
 * policy and the listener's limits; P-DATA is handled here: command sets are parsed, dataset PDVs
 * stream into an IncomingStore. Reading stops (socket paused) while a store is being completed or
 * the disk lags, so one request is worked on at a time, in order. Deadlines: the whole request
 * within setupTimeoutMs of connecting, each PDU within pduTimeoutMs of its first byte, and no more
 * than idleTimeoutMs of silence between PDUs.
 */
export class ScpAssociation implements PduSink {
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private readonly reader: PduReader;
  private phase: Phase = 'awaiting-request';
  private accepted: AcceptedAssociation | undefined;
  private pdv = { presentationContextId: 0, isCommand: false, isLast: false };
  private readonly command = new CommandSetAssembler();
  private store: IncomingStore | undefined;
  private completing: Promise<void> | undefined;
  private instanceCount = 0;
  private refusedCount = 0;
  private fileCount = 0;
  private endReason: AssociationEnd['reason'] = 'closed';
  private closing = false;
  private admitted: string | undefined;
  private readonly idle: IdleDeadline;
  private cancelSetup: CancelTimer | undefined;
  private cancelPdu: CancelTimer | undefined;
  private cancelLinger: CancelTimer | undefined;

  constructor(
    private readonly socket: AssociationSocket,
    private readonly settings: ScpSettings,
    private readonly handlers: DicomListenerHandlers,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.reader = new PduReader(
      { maxDataPduLength: settings.maxPduLength, maxControlPduLength: MAX_CONTROL_PDU_LENGTH },
      this,
    );
    socket.setNoDelay?.(true);
    const { timers } = settings;
    this.idle = new IdleDeadline(timers, settings.idleTimeoutMs, () => this.abort('idle timeout', AbortReason.NotSpecified));
    this.cancelSetup = timers.after(settings.setupTimeoutMs, () => this.abort(`no A-ASSOCIATE-RQ within ${settings.setupTimeoutMs} ms`, AbortReason.NotSpecified));
    socket.on('data', (chunk: Buffer) => {
      this.idle.touch();
      this.guarded(() => this.reader.push(chunk));
      this.watchPdu();
    });
    socket.on('error', (error) => this.log().info(errorFields(error), 'DICOM connection error'));
    socket.on('close', () => void this.onClose());
  }

  /** For listener shutdown: lets a store being completed answer, then aborts. */
  async shutdown(): Promise<void> {
    this.closing = true;
    if (this.completing) await this.completing;
    this.abort('listener closing', AbortReason.NotSpecified);
    await this.ended;
  }

  controlPdu(type: number, pdu: Buffer): void {
    switch (type) {
      case PduType.AssociateRq:
        return this.onAssociateRequest(pdu);
      case PduType.ReleaseRq:
        return this.onReleaseRequest();
      case PduType.Abort:
        this.endReason = 'aborted';
        this.log().info({}, 'association aborted by the peer');
        this.phase = 'ended';
        this.socket.destroy();
        return;
      default:
        throw new InvalidInputError(`unexpected PDU type 0x${type.toString(16)} from an association requestor`);
    }
  }

  pdvStart(presentationContextId: number, isCommand: boolean, isLast: boolean): void {
    if (this.phase !== 'established') throw new InvalidInputError('P-DATA-TF before the association was accepted');
    if (!this.accepted?.contexts.has(presentationContextId)) {
      throw new InvalidInputError(`PDV on presentation context ${presentationContextId}, which was not accepted`);
    }
    if (isCommand && this.store) throw new InvalidInputError('command PDV while a C-STORE dataset was expected');
    if (!isCommand && this.store?.context.presentationContextId !== presentationContextId) {
      throw new InvalidInputError(`dataset PDV on presentation context ${presentationContextId} without a C-STORE-RQ`);
    }
    if (isCommand) this.command.start();
    this.pdv = { presentationContextId, isCommand, isLast };
  }

  pdvData(bytes: Buffer): void {
    if (this.pdv.isCommand) {
      this.command.append(bytes);
      return;
    }
    const store = this.store as IncomingStore;
    store.append(bytes);
    if (store.writer && store.writer.bufferedBytes > this.settings.maxBufferedBytes) {
      this.suspendReading();
      void store.writer.whenWritten().then(() => this.resumeReading());
    }
  }

  pdvEnd(): void {
    if (!this.pdv.isLast) return;
    if (this.pdv.isCommand) {
      this.onCommand(this.pdv.presentationContextId, this.command.take());
      return;
    }
    const store = this.store as IncomingStore;
    this.store = undefined;
    this.suspendReading();
    this.completing = this.completeStore(store);
  }

  private onAssociateRequest(pdu: Buffer): void {
    if (this.phase !== 'awaiting-request') throw new InvalidInputError('A-ASSOCIATE-RQ on an established association');
    this.cancelSetup?.();
    this.phase = 'negotiating';
    const decoded = decodeAssociateRequest(pdu);
    const request: AssociationRequest = {
      callingAeTitle: decoded.callingAeTitle,
      calledAeTitle: decoded.calledAeTitle,
      contexts: [...decoded.contexts],
      remoteAddress: plainAddress(this.socket.remoteAddress),
    };
    const answer = this.decide(request, decoded.applicationContext);
    if (answer.kind === 'reject') {
      this.phase = 'ended';
      this.reader.pause();
      this.socket.end(encodeAssociateReject(REJECTIONS[answer.reason]));
      const { callingAeTitle, calledAeTitle, remoteAddress } = request;
      void Promise.resolve(this.handlers.onAssociationRejected?.({ callingAeTitle, calledAeTitle, remoteAddress, reason: answer.reason, detail: answer.detail })).catch(
        (error: unknown) => this.log().error(errorFields(error), 'recording a rejected association failed'),
      );
      return;
    }
    const contexts = new Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>();
    for (const decision of answer.contexts) if (decision.accepted) contexts.set(decision.id, decision);
    this.write(
      encodeAssociateAccept({
        calledAeTitle: decoded.calledAeTitle,
        callingAeTitle: decoded.callingAeTitle,
        applicationContext: APPLICATION_CONTEXT,
        contexts: answer.contexts.map((decision) => ({
          id: decision.id,
          result: decision.accepted
            ? ContextResult.Acceptance
            : decision.reason === 'abstract-syntax-not-supported'
              ? ContextResult.AbstractSyntaxNotSupported
              : ContextResult.TransferSyntaxesNotSupported,
          transferSyntaxUid: decision.accepted ? decision.transferSyntaxUid : TransferSyntax.ImplicitVrLittleEndian,
        })),
        userInformation: {
          maxPduLength: this.settings.maxPduLength,
          implementationClassUid: this.settings.implementationClassUid,
          implementationVersionName: this.settings.implementationVersionName,
        },
      }),
    );
    this.accepted = { request, caller: answer.caller, contexts };
    this.phase = 'established';
  }

  private decide(request: AssociationRequest, applicationContext: string): AssociationAnswer {
    let answer = answerAssociation(request, this.settings.policy);
    if (answer.kind === 'accept' && applicationContext !== APPLICATION_CONTEXT) {
      answer = { kind: 'reject', reason: 'no-presentation-context', detail: `application context ${applicationContext} is not DICOM's` };
    }
    if (answer.kind === 'accept') {
      const full = this.settings.admission.admit(request.callingAeTitle);
      if (full) answer = { kind: 'reject', reason: 'too-many-associations', detail: full };
      else this.admitted = request.callingAeTitle;
    }
    const { level, message, fields } = describeAnswer(request, answer, this.settings.policy.aeTitle);
    this.log()[level](fields, message);
    return answer;
  }

  /** Starts the deadline of a PDU when one is partly read, stops it between PDUs. */
  private watchPdu(): void {
    if (this.phase === 'ended' || this.reader.atPduBoundary || this.reader.isPaused) {
      this.cancelPdu?.();
      this.cancelPdu = undefined;
      return;
    }
    this.cancelPdu ??= this.settings.timers.after(this.settings.pduTimeoutMs, () => {
      this.cancelPdu = undefined;
      if (!this.reader.atPduBoundary && !this.reader.isPaused) {
        this.abort(`a PDU took longer than ${this.settings.pduTimeoutMs} ms to arrive`, AbortReason.NotSpecified);
      }
    });
  }

  private onReleaseRequest(): void {
    if (this.phase !== 'established' || this.store || this.command.inProgress) {
      throw new InvalidInputError('A-RELEASE-RQ in the middle of a DIMSE message');
    }
    this.endReason = 'released';
    this.phase = 'ended';
    this.reader.pause();
    this.socket.end(releaseResponsePdu());
  }

  private onCommand(presentationContextId: number, commandSet: Buffer): void {
    const command = parseCommand(commandSet);
    const context = this.accepted?.contexts.get(presentationContextId);
    if (!context || !this.accepted) return;
    switch (command.commandField) {
      case CommandField.CEchoRq:
        this.write(pDataPdu(presentationContextId, true, encodeCEchoResponse(command.messageId ?? 0, DimseStatus.Success)));
        return;
      case CommandField.CStoreRq: {
        if (!command.hasDataset) throw new InvalidInputError('C-STORE-RQ announces no dataset');
        const { request, caller } = this.accepted;
        const storeContext = {
          associationId: this.settings.associationId,
          callingAeTitle: request.callingAeTitle,
          calledAeTitle: request.calledAeTitle,
          remoteAddress: request.remoteAddress,
          overwrite: caller?.overwrite ?? 'keep-first',
          presentationContextId,
          ...context,
        };
        const fileName = `${this.settings.associationId}-${++this.fileCount}.dcm`;
        this.store = new IncomingStore(storeContext, command, fileName, this.settings.store);
        return;
      }
      case CommandField.CCancelRq:
        return;
      default:
        throw new InvalidInputError(`unsupported DIMSE command 0x${command.commandField.toString(16)}`);
    }
  }

  private async completeStore(store: IncomingStore): Promise<void> {
    const { status, comment } = await store.complete(this.handlers);
    if (status === DimseStatus.Success) this.instanceCount++;
    else this.refusedCount++;
    this.write(
      pDataPdu(
        store.context.presentationContextId,
        true,
        encodeCStoreResponse({
          messageIdBeingRespondedTo: store.messageId,
          sopClassUid: store.sopClassUid,
          sopInstanceUid: store.sopInstanceUid,
          status,
          errorComment: comment,
        }),
      ),
    );
    this.completing = undefined;
    if (this.closing) return;
    this.resumeReading();
  }

  /** Stops reading; the peer now waits for us, so that time is not idleness. */
  private suspendReading(): void {
    this.reader.pause();
    this.socket.pause();
    this.idle.pause();
    this.watchPdu();
  }

  private resumeReading(): void {
    if (this.phase === 'ended' || this.closing || this.completing) return;
    this.guarded(() => this.reader.resume());
    if (!this.reader.isPaused && !this.socket.destroyed) this.socket.resume();
    this.idle.touch();
    this.watchPdu();
  }

  private guarded(read: () => void): void {
    if (this.phase === 'ended') return;
    try {
      read();
    } catch (error) {
      this.failProtocol(error);
    }
  }

  private failProtocol(error: unknown): void {
    this.log().warn(errorFields(error), 'DICOM protocol error; aborting association');
    this.abort('protocol error', AbortReason.InvalidPduParameterValue);
  }

  /** Sends A-ABORT (as service provider) and closes; the close handler cleans up. */
  private abort(why: string, reason: number): void {
    if (this.socket.destroyed) return;
    if (this.phase !== 'ended') {
      this.log().info({ why }, 'aborting association');
      this.endReason = 'aborted';
    }
    this.phase = 'ended';
    this.suspendReading();
    if (!this.socket.writable) {
      this.socket.destroy();
      return;
    }
    this.socket.end(abortPdu(2, reason));
    this.cancelLinger = this.settings.timers.after(ABORT_LINGER_MS, () => this.socket.destroy());
  }

  private write(bytes: Buffer): void {
    if (!this.socket.writable) return;
    this.idle.touch();
    this.socket.write(bytes);
  }

  private async onClose(): Promise<void> {
    this.phase = 'ended';
    this.idle.stop();
    this.cancelSetup?.();
    this.cancelPdu?.();
    this.cancelLinger?.();
    if (this.admitted !== undefined) this.settings.admission.release(this.admitted);
    this.admitted = undefined;
    const store = this.store;
    this.store = undefined;
    try {
      await store?.abandon();
      await this.completing;
      if (this.accepted) {
        await this.handlers.onAssociationEnd?.({
          associationId: this.settings.associationId,
          callingAeTitle: this.accepted.request.callingAeTitle,
          instanceCount: this.instanceCount,
          refusedInstances: this.refusedCount,
          reason: this.endReason,
        });
      }
    } catch (error) {
      this.log().error(errorFields(error), 'error while ending an association');
    } finally {
      this.log().info({ instanceCount: this.instanceCount, reason: this.endReason }, 'association ended');
      this.resolveEnded();
    }
  }

  private log(): DicomLogger {
    return withFields(this.settings.logger, { associationId: this.settings.associationId });
  }
}
