import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { ConfigError, UnavailableError } from '../errors.js';
import { systemTimers } from '../timers.js';
import { isAeTitle, portSchema } from '../validation.js';
import { errorFields, stderrDicomLogger, type DicomLogger } from './dicom-logger.js';
import { plainAddress } from './negotiation-policy.js';
import { MAX_RECEIVE_PDU_LENGTH, MIN_RECEIVE_PDU_LENGTH } from './pdu-limits.js';
import { openDirectoryForSync } from './durable-fs.js';
import type { DicomListener, DicomListenerHandlers, DicomListenerOptions } from './listener-types.js';
import { type Admission, ScpAssociation, type ScpSettings } from './scp-association.js';
import {
  ACCEPTED_TRANSFER_SYNTAXES,
  DEFAULT_ACCEPTED_STORAGE_CLASSES,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
} from './uids.js';

export type {
  AssociationEnd,
  AssociationRejection,
  DicomListener,
  DicomListenerHandlers,
  DicomListenerOptions,
  ReceivedInstance,
} from './listener-types.js';

/** Received bytes are written once this many wait, so most of a slice (512x512: 0.5 MiB) is on its way before its last PDV. */
const FLUSH_THRESHOLD_BYTES = 256 * 1024;
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * Starts the C-STORE / C-ECHO listener (SCP). Each instance is written to incomingDir as a Part 10
 * file and fsynced before handlers.onInstance is called; the C-STORE answer waits for the handler.
 */
export async function startDicomListener(
  options: DicomListenerOptions,
  handlers: DicomListenerHandlers,
): Promise<DicomListener> {
  validateOptions(options);
  await mkdir(options.incomingDir, { recursive: true });
  const directory = await openDirectoryForSync(options.incomingDir);
  const associations = new Set<ScpAssociation>();
  const maxAssociations = options.maxAssociations ?? 32;
  const settingsFor = settingsMaker(options, directory.sync, admission(maxAssociations, options.maxAssociationsPerCaller ?? 8));
  const logger = options.logger ?? stderrDicomLogger();
  const onSocket = (socket: net.Socket) => {
    const association = new ScpAssociation(socket, settingsFor(), handlers);
    associations.add(association);
    void association.ended.then(() => associations.delete(association));
  };
  const host = options.host ?? '127.0.0.1';
  const servers: net.Server[] = [];
  const plain = net.createServer({ noDelay: true, pauseOnConnect: false }, onSocket);
  servers.push(bounded(plain, maxAssociations, logger));
  const port = await listen(plain, options.port, host, options.aeTitle);
  let tlsPort: number | undefined;
  if (options.tls) {
    const secure = tls.createServer(
      {
        key: options.tls.key,
        cert: options.tls.cert,
        ca: options.tls.ca,
        requestCert: true,
        rejectUnauthorized: options.tls.requireClientCertificate,
        minVersion: 'TLSv1.2',
        handshakeTimeout: options.setupTimeoutMs ?? 10_000,
      },
      onSocket,
    );
    secure.on('tlsClientError', (error, socket) => {
      const remoteAddress = plainAddress(socket.remoteAddress);
      logger.warn({ remoteAddress, ...errorFields(error) }, 'DICOM TLS handshake refused');
      void Promise.resolve(
        handlers.onAssociationRejected?.({ callingAeTitle: '', calledAeTitle: '', remoteAddress, reason: 'tls-handshake-failed', detail: error.message }),
      ).catch(() => undefined);
    });
    servers.push(bounded(secure, maxAssociations, logger));
    tlsPort = await listen(secure, options.tls.port, host, options.aeTitle);
  }
  let closed: Promise<void> | undefined;
  return {
    port,
    tlsPort,
    close: () => {
      closed ??= (async () => {
        const stopped = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
        await Promise.all([...associations].map((association) => association.shutdown()));
        await Promise.all(stopped);
        await directory.close();
      })();
      return closed;
    },
  };
}

/**
 * Connections beyond those associations may use are closed at once (each costs a descriptor), and
 * said so in the log; below that, a connection that asks for no association is closed after
 * setupTimeoutMs by its ScpAssociation.
 */
function bounded<T extends net.Server>(server: T, maxAssociations: number, logger: DicomLogger): T {
  server.maxConnections = 2 * maxAssociations + 8;
  let dropped = 0;
  server.on('drop', (peer) => {
    dropped += 1;
    if (dropped === 1 || dropped % 100 === 0) {
      logger.warn({ remoteAddress: peer?.remoteAddress, dropped, maxConnections: server.maxConnections }, 'DICOM connection refused: too many connections');
    }
  });
  return server;
}

/** Open associations, in all and per calling AE title. */
function admission(maxTotal: number, maxPerCaller: number): Admission {
  const perCaller = new Map<string, number>();
  let total = 0;
  return {
    admit(callingAeTitle) {
      const mine = perCaller.get(callingAeTitle) ?? 0;
      if (total >= maxTotal) return `${total} associations are open, the most this node takes at once`;
      if (mine >= maxPerCaller) return `${callingAeTitle} has ${mine} associations open, the most one caller may`;
      total += 1;
      perCaller.set(callingAeTitle, mine + 1);
      return undefined;
    },
    release(callingAeTitle) {
      total -= 1;
      const mine = (perCaller.get(callingAeTitle) ?? 1) - 1;
      if (mine > 0) perCaller.set(callingAeTitle, mine);
      else perCaller.delete(callingAeTitle);
    },
  };
}

function settingsMaker(options: DicomListenerOptions, syncDirectory: () => Promise<void>, admitted: Admission): () => ScpSettings {
  const logger = options.logger ?? stderrDicomLogger();
  const newId = options.newAssociationId ?? randomUUID;
  const policy = {
    aeTitle: options.aeTitle,
    checkCalledAeTitle: options.checkCalledAeTitle ?? true,
    acceptedSopClasses: options.acceptedSopClasses ?? DEFAULT_ACCEPTED_STORAGE_CLASSES,
    acceptedTransferSyntaxes: ACCEPTED_TRANSFER_SYNTAXES,
    callers: options.callers,
  };
  const store = {
    incomingDir: options.incomingDir,
    syncDirectory,
    flushThresholdBytes: FLUSH_THRESHOLD_BYTES,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    clock: options.clock ?? (() => new Date()),
    logger,
  };
  return () => ({
    associationId: newId(),
    policy,
    admission: admitted,
    maxPduLength: options.maxPduLength ?? MAX_RECEIVE_PDU_LENGTH,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    setupTimeoutMs: options.setupTimeoutMs ?? 10_000,
    pduTimeoutMs: options.pduTimeoutMs ?? 30_000,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    store,
    logger,
    timers: options.timers ?? systemTimers,
  });
}

function listen(server: net.Server, port: number, host: string, aeTitle: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(new UnavailableError(`DICOM listener ${aeTitle} cannot listen on ${host}:${port}: ${error.message}`, error)),
    );
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function validateOptions(options: DicomListenerOptions): void {
  if (!isAeTitle(options.aeTitle) || options.aeTitle.trim() !== options.aeTitle) {
    throw new ConfigError(`dicom.aeTitle: "${options.aeTitle}" is not an AE title (1-16 characters, no backslash, no edge spaces)`);
  }
  if (!portSchema.safeParse(options.port).success) {
    throw new ConfigError(`dicom.port: ${options.port} is not a TCP port`);
  }
  const maxPdu = options.maxPduLength;
  if (maxPdu !== undefined && (!Number.isInteger(maxPdu) || maxPdu < MIN_RECEIVE_PDU_LENGTH || maxPdu > MAX_RECEIVE_PDU_LENGTH)) {
    throw new ConfigError(`dicom.maxPduLength: ${maxPdu} is outside ${MIN_RECEIVE_PDU_LENGTH}..${MAX_RECEIVE_PDU_LENGTH}`);
  }
}
