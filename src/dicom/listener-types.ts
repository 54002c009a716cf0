import type { Timers } from '../timers.js';
import type { DicomLogger } from './dicom-logger.js';
import type { CallerPolicy, RejectionReason } from './negotiation-policy.js';

/** One instance received by C-STORE, already durable on disk when a handler sees it. */
export interface ReceivedInstance {
  /** Complete Part 10 file in incomingDir: file meta written by us, dataset bytes exactly as received. */
  path: string;
  /** Size of that file in bytes (file meta included). */
  sizeBytes: number;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  callingAeTitle: string;
  calledAeTitle: string;
  /** The caller's policy for an instance it sends again with other content. */
  overwrite: 'keep-first' | 'replace';
  associationId: string;
  receivedAt: Date;
}

/** An association request the listener refused, for the audit trail. */
export interface AssociationRejection {
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string | undefined;
  reason: RejectionReason | 'tls-handshake-failed';
  detail: string;
}

export interface AssociationEnd {
  associationId: string;
  callingAeTitle: string;
  /** Instances whose handler resolved (answered Success) in this association. */
  instanceCount: number;
  /** C-STORE requests answered with a failure status in this association. */
  refusedInstances: number;
  /** released: A-RELEASE; aborted: A-ABORT from either side; closed: the connection went away. */
  reason: 'released' | 'aborted' | 'closed';
}

export interface DicomListenerHandlers {
  /**
   * Called once per instance after its file is fsynced. The C-STORE answer is Success only when
   * this resolves; when it throws, the file is deleted and the status says why (see dimse-status).
   */
  onInstance(received: ReceivedInstance): Promise<void>;
  /** Called once per accepted association, after its last onInstance has settled. */
  onAssociationEnd?(end: AssociationEnd): void | Promise<void>;
  /** Called for every association request refused (wrong called AE, unknown caller, limits). */
  onAssociationRejected?(rejection: AssociationRejection): void | Promise<void>;
}

export interface DicomListenerOptions {
  aeTitle: string;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port; DicomListener.port tells which. */
  port: number;
  /**
   * Where received files are written: `<associationId>-<n>.dcm`, with a `.part` suffix while the
   * dataset arrives. A file here that no onInstance call resolved for was never acknowledged
   * (the sender will send it again), so whatever is left here at start-up may be deleted.
   */
  incomingDir: string;
  /** Largest P-DATA-TF PDU we accept (announced in A-ASSOCIATE-AC); default 256 KiB, at most 256 KiB. */
  maxPduLength?: number;
  /** Storage SOP classes accepted besides Verification; default CT and Enhanced CT Image Storage. */
  acceptedSopClasses?: string[];
  /** Reject associations addressed to another AE title; default true. */
  checkCalledAeTitle?: boolean;
  /** Who may store; undefined: any AE from any address. */
  callers?: readonly CallerPolicy[];
  /** At most this many associations at once (default 32), and per calling AE title (default 8). */
  maxAssociations?: number;
  maxAssociationsPerCaller?: number;
  /** An association idle this long between PDUs (waiting on the peer) is aborted; default 60 s. */
  idleTimeoutMs?: number;
  /** A connection that has not sent its whole A-ASSOCIATE-RQ after this long is closed; default 10 s. */
  setupTimeoutMs?: number;
  /** A PDU must arrive whole within this long of its first byte; default 30 s. */
  pduTimeoutMs?: number;
  /** DICOM over TLS on a port of its own, besides the plain one. */
  tls?: ListenerTls;
  logger?: DicomLogger;
  /** Clock for receivedAt; default the system clock. */
  clock?: () => Date;
  /** Timers for the setup, PDU and idle deadlines; default the system's. */
  timers?: Timers;
  /** Makes association ids (also used in file names); default random UUIDs. */
  newAssociationId?: () => string;
}

/** PEM key material of a TLS listener. */
export interface ListenerTls {
  port: number;
  key: Buffer;
  cert: Buffer;
  /** Certificate authorities a client certificate must chain to. */
  ca?: Buffer;
  /** Refuse a client without a certificate signed by `ca` (mutual authentication). */
  requireClientCertificate: boolean;
}

export interface DicomListener {
  port: number;
  /** The TLS port, when TLS is configured. */
  tlsPort?: number;
  /** Stops accepting, lets stores whose data is complete finish and be answered, aborts the rest. */
  close(): Promise<void>;
}
