import net from 'node:net';
import tls from 'node:tls';
import { InvalidInputError, UnavailableError } from '../errors.js';
import { systemTimers, type Timers } from '../timers.js';
import {
  APPLICATION_CONTEXT,
  ContextResult,
  decodeAssociateAccept,
  decodeAssociateReject,
  encodeAssociateRequest,
} from './association-pdu.js';
import { describeRejection } from './association-rejection.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uids.js';
import { CommandField, type DimseCommand, encodeCCancelRequest, encodeCEchoRequest, encodeCStoreRequest, parseCommand } from './dimse-commands.js';
import type { AssociationSocket } from './association-socket.js';
import { CommandSetAssembler } from './command-set-assembler.js';
import { IdleDeadline } from './idle-deadline.js';
import { MAX_CONTROL_PDU_LENGTH, MAX_RESPONSE_DATASET_LENGTH, MAX_SEND_PDU_LENGTH, REQUESTOR_RECEIVE_PDU_LENGTH } from './pdu-limits.js';
import { PduReader, type PduSink, PduType } from './pdu-reader.js';
import { abortPdu, pDataHeader, pDataPdu, releaseRequestPdu } from './pdu-writer.js';

export interface DicomPeer {
  aeTitle: string;
  host: string;
  port: number;
  /** DICOM over TLS: the CAs its certificate must chain to, and ours (mutual authentication). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

type Waiter = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** A response: its command set, and the dataset that followed it (a C-FIND match, a C-MOVE's failed instances). */
export interface DimseResponse {
  command: DimseCommand;
  dataset?: Buffer;
}

/** What the peer's A-RELEASE-RP settles, told apart from DIMSE responses that may still come before it. */
const RELEASED = Symbol('released');
/** Responses read but not yet taken (C-FIND matches arrive faster than they are used): above this, reading pauses. */
const INBOX_HIGH_WATER = 256;

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
 * One association we requested: connect, negotiate (association-pdu.ts), then C-ECHO / C-STORE /
 * C-FIND / C-MOVE one request at a time and release. Every way the peer can fail us (refused
 * connection, rejection, abort, close, silence longer than timeoutMs) becomes an UnavailableError
 * naming the peer. Responses are queued as they arrive (a C-FIND's matches may come many to a
 * packet) and taken in order; a response's dataset is bounded by MAX_RESPONSE_DATASET_LENGTH.
 */
export class ScuAssociation implements PduSink {
  private readonly reader: PduReader;
  private proposal: ProposedAssociation | undefined;
  private negotiated: NegotiatedAssociation | undefined;
  private waiter: Waiter | undefined;
  private readonly inbox: unknown[] = [];
  private paused = false;
  private failure: Error | undefined;
  private readonly command = new CommandSetAssembler();
  private readonly dataset = new CommandSetAssembler(MAX_RESPONSE_DATASET_LENGTH, 'response dataset');
  /** A response command that announced a dataset, until its dataset has arrived. */
  private awaitingDataset: DimseCommand | undefined;
  private pdv = { isCommand: true, isLast: false };
  private readonly silence: IdleDeadline;
  private messageId = 0;
  private releasing = false;
  readonly peerName: string;

  private constructor(
    private readonly socket: AssociationSocket,
    peer: DicomPeer,
    timeoutMs: number,
    timers: Timers,
  ) {
    this.peerName = `DICOM peer ${peer.aeTitle} at ${peer.host}:${peer.port}`;
    this.reader = new PduReader(
      { maxDataPduLength: REQUESTOR_RECEIVE_PDU_LENGTH, maxControlPduLength: MAX_CONTROL_PDU_LENGTH },
      this,
    );
    socket.setNoDelay?.(true);
    this.silence = new IdleDeadline(timers, timeoutMs, () => this.fail(new UnavailableError(`${this.peerName}: no answer within ${timeoutMs} ms`)));
    socket.on('error', (error) => this.fail(new UnavailableError(`${this.peerName}: ${error.message}`, error)));
    socket.on('close', () => {
      this.silence.stop();
      this.fail(new UnavailableError(`${this.peerName} closed the connection`));
    });
    socket.on('drain', () => this.silence.touch());
    socket.on('data', (chunk: Buffer) => {
      this.silence.touch();
      try {
        this.reader.push(chunk);
      } catch (error) {
        this.fail(new UnavailableError(`${this.peerName} sent a malformed PDU: ${(error as Error).message}`, error));
      }
    });
  }

  /** Connects and negotiates; resolves once the association is accepted. */
  static async open(peer: DicomPeer, proposal: Omit<ProposedAssociation, 'maxPduLength' | 'calledAeTitle'>, timeoutMs: number): Promise<ScuAssociation> {
    return ScuAssociation.over(await connect(peer, timeoutMs), peer, proposal, timeoutMs, systemTimers);
  }

  /** Negotiates over a connected socket (or an in-memory stream); resolves once the association is accepted. */
  static async over(
    socket: AssociationSocket,
    peer: DicomPeer,
    proposal: Omit<ProposedAssociation, 'maxPduLength' | 'calledAeTitle'>,
    timeoutMs: number,
    timers: Timers,
  ): Promise<ScuAssociation> {
    const association = new ScuAssociation(socket, peer, timeoutMs, timers);
    try {
      await association.negotiate({ ...proposal, calledAeTitle: peer.aeTitle, maxPduLength: REQUESTOR_RECEIVE_PDU_LENGTH });
    } catch (error) {
      association.abort();
      throw error;
    }
    return association;
  }

  /** Accepted presentation contexts: id -> abstract syntax and transfer syntax. */
  get contexts(): NegotiatedAssociation['contexts'] {
    return (this.negotiated as NegotiatedAssociation).contexts;
  }

  async echo(presentationContextId: number): Promise<number> {
    const messageId = this.nextMessageId();
    const response = this.awaitResponse(messageId, CommandField.CEchoRsp);
    this.write(pDataPdu(presentationContextId, true, encodeCEchoRequest(messageId)));
    return (await response).command.status ?? -1;
  }

  /**
   * Sends a request with a dataset whose answers come as several responses (C-FIND, C-MOVE: the
   * command set from `encode` with the message id, then the identifier); read them with
   * nextResponse. Returns the message id.
   */
  async request(presentationContextId: number, encode: (messageId: number) => Buffer, identifier: Buffer): Promise<number> {
    const messageId = this.nextMessageId();
    this.write(pDataPdu(presentationContextId, true, encode(messageId)));
    await this.writeDataset(presentationContextId, [identifier], identifier.length);
    return messageId;
  }

  /** The next response to `messageId`, which must carry `commandField`. */
  nextResponse(messageId: number, commandField: number): Promise<DimseResponse> {
    return this.awaitResponse(messageId, commandField);
  }

  /** C-CANCEL of a C-FIND or C-MOVE: the peer ends it with a final response (Cancel, or its own final one). */
  cancel(presentationContextId: number, messageId: number): void {
    this.write(pDataPdu(presentationContextId, true, encodeCCancelRequest(messageId)));
  }

  /**
   * C-STORE of one dataset: the command, then `dataset` chunks as PDVs of at most the peer's
   * maximum PDU length, each written as header + the very chunk (no copying into PDU buffers).
   */
  async store(
    presentationContextId: number,
    instance: { sopClassUid: string; sopInstanceUid: string; datasetLength: number },
    dataset: AsyncIterable<Buffer>,
  ): Promise<DimseCommand> {
    const messageId = this.nextMessageId();
    // Wait for the answer from the start: the peer may answer while our last write still drains.
    const response = this.awaitResponse(messageId, CommandField.CStoreRsp);
    response.catch(() => undefined); // a failure while sending is thrown from the sending below
    this.write(pDataPdu(presentationContextId, true, encodeCStoreRequest({ messageId, ...instance })));
    const sent = await this.writeDataset(presentationContextId, dataset, instance.datasetLength);
    if (sent !== instance.datasetLength) {
      throw new InvalidInputError(`dataset of ${instance.sopInstanceUid} was ${sent} bytes, expected ${instance.datasetLength}`);
    }
    return (await response).command;
  }

  async release(): Promise<void> {
    this.releasing = true;
    this.write(releaseRequestPdu());
    // A response the peer sent before it read our request may still come first (PS3.8 allows it).
    while ((await this.expect<unknown>()) !== RELEASED);
    this.socket.end();
  }

  abort(): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.end(abortPdu(0, 0));
    this.socket.destroy();
  }

  controlPdu(type: number, pdu: Buffer): void {
    switch (type) {
      case PduType.AssociateAc:
        this.settle(this.accepted(pdu));
        return;
      case PduType.AssociateRj:
        this.fail(new UnavailableError(`${this.peerName} rejected the association: ${describeRejection(decodeAssociateReject(pdu))}`));
        return;
      case PduType.ReleaseRp:
        this.settle(RELEASED);
        return;
      case PduType.Abort:
        this.fail(new UnavailableError(`${this.peerName} aborted the association`));
        return;
      default:
        this.fail(new UnavailableError(`${this.peerName} sent an unexpected PDU of type 0x${type.toString(16)}`));
    }
  }

  pdvStart(_presentationContextId: number, isCommand: boolean, isLast: boolean): void {
    if (isCommand && this.awaitingDataset) throw new InvalidInputError('a command set came before the dataset its previous response announced');
    if (!isCommand && !this.awaitingDataset) throw new InvalidInputError('unexpected dataset PDV in a response');
    (isCommand ? this.command : this.dataset).start();
    this.pdv = { isCommand, isLast };
  }

  pdvData(bytes: Buffer): void {
    (this.pdv.isCommand ? this.command : this.dataset).append(bytes);
  }

  pdvEnd(): void {
    if (!this.pdv.isLast) return;
    if (!this.pdv.isCommand) {
      const command = this.awaitingDataset as DimseCommand;
      this.awaitingDataset = undefined;
      this.settle({ command, dataset: this.dataset.take() } satisfies DimseResponse);
      return;
    }
    const command = parseCommand(this.command.take());
    if (command.hasDataset) this.awaitingDataset = command;
    else this.settle({ command } satisfies DimseResponse);
  }

  private async negotiate(proposal: ProposedAssociation): Promise<void> {
    this.proposal = proposal;
    const answered = this.expect<NegotiatedAssociation>();
    this.write(
      encodeAssociateRequest({
        calledAeTitle: proposal.calledAeTitle,
        callingAeTitle: proposal.callingAeTitle,
        applicationContext: APPLICATION_CONTEXT,
        contexts: proposal.contexts.map((context, index) => ({ id: 2 * index + 1, ...context })),
        userInformation: { maxPduLength: proposal.maxPduLength, implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersionName: IMPLEMENTATION_VERSION_NAME },
      }),
    );
    this.negotiated = await answered;
  }

  /** The accepted contexts of an A-ASSOCIATE-AC, with the abstract syntax each was proposed for. */
  private accepted(pdu: Buffer): NegotiatedAssociation {
    const accept = decodeAssociateAccept(pdu);
    const proposed = this.proposal?.contexts ?? [];
    const contexts = new Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>();
    for (const context of accept.contexts) {
      const asked = proposed[(context.id - 1) / 2];
      if (context.result !== ContextResult.Acceptance || !asked) continue;
      if (!asked.transferSyntaxUids.includes(context.transferSyntaxUid)) {
        throw new InvalidInputError(`${this.peerName} accepted context ${context.id} with transfer syntax ${context.transferSyntaxUid}, which was not proposed`);
      }
      contexts.set(context.id, { abstractSyntaxUid: asked.abstractSyntaxUid, transferSyntaxUid: context.transferSyntaxUid });
    }
    return { peerMaxPduLength: accept.userInformation.maxPduLength, contexts };
  }

  private maxSendValueLength(): number {
    const peerMax = (this.negotiated as NegotiatedAssociation).peerMaxPduLength;
    return (peerMax === 0 ? MAX_SEND_PDU_LENGTH : Math.min(peerMax, MAX_SEND_PDU_LENGTH)) - 6;
  }

  /** Writes a dataset as PDVs of at most the peer's maximum PDU length, the last one marked; returns the bytes written. */
  private async writeDataset(presentationContextId: number, dataset: AsyncIterable<Buffer> | Iterable<Buffer>, length: number): Promise<number> {
    const maxValue = this.maxSendValueLength();
    let sent = 0;
    for await (const chunk of dataset) {
      for (let at = 0; at < chunk.length; at += maxValue) {
        const piece = chunk.subarray(at, Math.min(at + maxValue, chunk.length));
        sent += piece.length;
        await this.writePdv(presentationContextId, piece, sent >= length);
      }
    }
    if (length === 0) await this.writePdv(presentationContextId, Buffer.alloc(0), true);
    return sent;
  }

  private async writePdv(presentationContextId: number, value: Buffer, isLast: boolean): Promise<void> {
    if (this.failure) throw this.failure;
    this.silence.touch();
    this.socket.cork();
    this.socket.write(pDataHeader(presentationContextId, false, isLast, value.length));
    const flowing = this.socket.write(value);
    this.socket.uncork();
    if (!flowing) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off('drain', onDrain);
        reject(this.failure ?? new UnavailableError(`${this.peerName} closed the connection`));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  private async awaitResponse(messageId: number, commandField: number): Promise<DimseResponse> {
    const response = await this.expect<DimseResponse | typeof RELEASED>();
    const command = response === RELEASED ? undefined : response.command;
    if (command?.commandField !== commandField || command.messageIdBeingRespondedTo !== messageId) {
      const what = command ? `command 0x${command.commandField.toString(16)} for message ${command.messageIdBeingRespondedTo}` : 'a release response';
      const error = new UnavailableError(`${this.peerName} answered message ${messageId} with ${what}`);
      this.fail(error);
      throw error;
    }
    return response as DimseResponse;
  }

  /** The next thing the peer settled (a response, the release), queued or still to come. */
  private expect<T>(): Promise<T> {
    if (this.inbox.length > 0) {
      const value = this.inbox.shift();
      if (this.paused && this.inbox.length < INBOX_HIGH_WATER / 2) {
        this.paused = false;
        this.socket.resume();
      }
      this.silence.touch();
      return Promise.resolve(value as T);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.waiter = { resolve: resolve as (value: unknown) => void, reject };
    });
  }

  private settle(value: unknown): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      waiter.resolve(value);
      return;
    }
    this.inbox.push(value);
    if (!this.paused && this.inbox.length >= INBOX_HIGH_WATER) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private fail(error: Error): void {
    if (this.releasing && !this.waiter) return; // closing after a completed release is the normal end
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private write(bytes: Buffer): void {
    if (this.failure) throw this.failure;
    this.silence.touch();
    this.socket.write(bytes);
  }

  private nextMessageId(): number {
    this.messageId = (this.messageId % 0xffff) + 1;
    return this.messageId;
  }
}

function connect(peer: DicomPeer, timeoutMs: number): Promise<net.Socket> {
  const name = `DICOM peer ${peer.aeTitle} at ${peer.host}:${peer.port}${peer.tls ? ' (TLS)' : ''}`;
  return new Promise((resolve, reject) => {
    const socket = peer.tls
      ? tls.connect({
          host: peer.host,
          port: peer.port,
          ca: peer.tls.ca,
          cert: peer.tls.cert,
          key: peer.tls.key,
          minVersion: 'TLSv1.2',
          ...(net.isIP(peer.host) ? {} : { servername: peer.host }),
        })
      : net.connect({ host: peer.host, port: peer.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UnavailableError(`${name}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(peer.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new UnavailableError(`${name}: cannot connect: ${error.message}`, error));
    });
  });
}
