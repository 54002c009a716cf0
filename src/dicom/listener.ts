import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import dcmjsDimse from 'dcmjs-dimse';
import { ConfigError, UnavailableError } from '../errors.js';
import { stderrDicomLogger } from './dicom-logger.js';
import { openDirectoryForSync } from './durable-fs.js';
import type { DicomListener, DicomListenerHandlers, DicomListenerOptions } from './listener-types.js';
import { ScpAssociation, type ScpSettings } from './scp-association.js';
import {
  ACCEPTED_TRANSFER_SYNTAXES,
  DEFAULT_ACCEPTED_STORAGE_CLASSES,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
} from './uids.js';

export type {
  AssociationEnd,
  DicomListener,
  DicomListenerHandlers,
  DicomListenerOptions,
  ReceivedInstance,
} from './listener-types.js';

/** dcmjs-dimse's AC writer caps the announced maximum PDU length at its implementation maximum. */
const MAX_PDU_LENGTH = 256 * 1024;
const MIN_PDU_LENGTH = 4096;
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
  dcmjsDimse.log.setLevel('warn');
  await mkdir(options.incomingDir, { recursive: true });
  const directory = await openDirectoryForSync(options.incomingDir);
  const associations = new Set<ScpAssociation>();
  const settingsFor = settingsMaker(options, directory.sync);
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    const association = new ScpAssociation(socket, settingsFor(), handlers);
    associations.add(association);
    void association.ended.then(() => associations.delete(association));
  });
  const port = await listen(server, options.port, options.host ?? '127.0.0.1', options.aeTitle);
  let closed: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...associations].map((association) => association.shutdown()));
        await stopped;
        await directory.close();
      })();
      return closed;
    },
  };
}

function settingsMaker(options: DicomListenerOptions, syncDirectory: () => Promise<void>): () => ScpSettings {
  const logger = options.logger ?? stderrDicomLogger();
  const newId = options.newAssociationId ?? randomUUID;
  const policy = {
    aeTitle: options.aeTitle,
    checkCalledAeTitle: options.checkCalledAeTitle ?? true,
    acceptedSopClasses: options.acceptedSopClasses ?? DEFAULT_ACCEPTED_STORAGE_CLASSES,
    acceptedTransferSyntaxes: ACCEPTED_TRANSFER_SYNTAXES,
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
    maxPduLength: options.maxPduLength ?? MAX_PDU_LENGTH,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    store,
    logger,
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
  if (!/^[^\\\n\r]{1,16}$/.test(options.aeTitle) || options.aeTitle.trim() !== options.aeTitle) {
    throw new ConfigError(`dicom.aeTitle: "${options.aeTitle}" is not an AE title (1-16 characters, no backslash, no edge spaces)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new ConfigError(`dicom.port: ${options.port} is not a TCP port`);
  }
  const maxPdu = options.maxPduLength;
  if (maxPdu !== undefined && (!Number.isInteger(maxPdu) || maxPdu < MIN_PDU_LENGTH || maxPdu > MAX_PDU_LENGTH)) {
    throw new ConfigError(`dicom.maxPduLength: ${maxPdu} is outside ${MIN_PDU_LENGTH}..${MAX_PDU_LENGTH}`);
  }
}
