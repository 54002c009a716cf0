import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InvalidInputError, UnavailableError } from '../errors.js';
import type { DicomLogger } from './dicom-logger.js';
import { errorFields, stderrDicomLogger } from './dicom-logger.js';
import { DimseStatus, isStoreSuccess } from './dimse-status.js';
import { type Part10Header, readPart10Header } from './file/part10.js';
import { type DicomPeer, ScuAssociation } from './scu-association.js';
import { transcodedDataset } from './file/transcode.js';
import { SopClass, TransferSyntax } from './uids.js';

export type { DicomPeer } from './scu-association.js';

export interface SendRequest {
  callingAeTitle: string;
  destination: DicomPeer;
  files: string[];
  /** Longest wait for the connection or any answer; default 30 s. */
  timeoutMs?: number;
  logger?: DicomLogger;
}

/** status -1: not sent (the peer accepted no presentation context the file can go through). */
export const NOT_SENT = -1;

export interface SendFileResult {
  path: string;
  sopInstanceUid: string;
  /** The peer's C-STORE status, or NOT_SENT. */
  status: number;
  /** Success or a C-STORE warning (Bxxx). */
  ok: boolean;
  /** Why, when not ok: the peer's Error Comment or our reason for not sending. */
  error?: string;
}

export interface SendResult {
  files: SendFileResult[];
  /** Every file ok. */
  ok: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const READ_CHUNK_BYTES = 1024 * 1024;
/** PS3.8: presentation context ids are odd numbers 1..255. */
const MAX_PRESENTATION_CONTEXTS = 128;

interface FileToSend extends Part10Header {
  path: string;
  sizeBytes: number;
}

/**
 * C-STOREs files over one association. Each file's dataset goes as it is on disk (byte-identical)
 * through a context of its own transfer syntax; only when the peer refused that one is it
 * transcoded to what the peer accepted. Throws UnavailableError (retryable) when the peer cannot
 * be reached, rejects or aborts the association, or goes silent; per-file refusals are results.
 */
export async function sendInstances(request: SendRequest): Promise<SendResult> {
  const logger = request.logger ?? stderrDicomLogger();
  const files: FileToSend[] = [];
  for (const path of request.files) files.push(await readFileToSend(path)); // one at a time: series can be long
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const association = await ScuAssociation.open(
    request.destination,
    { callingAeTitle: request.callingAeTitle, contexts: proposeContexts(files) },
    timeoutMs,
  );
  const results: SendFileResult[] = [];
  try {
    for (const file of files) results.push(await sendOne(association, file, logger));
  } catch (error) {
    association.abort();
    throw error;
  }
  try {
    await association.release();
  } catch (error) {
    // Every file has its answer already; a release that fails changes none of them.
    logger.warn({ peer: association.peerName, ...errorFields(error) }, 'association release failed after all stores were answered');
    association.abort();
  }
  return { files: results, ok: results.every((r) => r.ok) };
}

/** C-ECHO; throws UnavailableError when the peer is down or does not answer Success. */
export async function echoDestination(
  callingAeTitle: string,
  destination: DicomPeer,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const contexts = [{ abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: uncompressed() }];
  const association = await ScuAssociation.open(destination, { callingAeTitle, contexts }, timeoutMs);
  try {
    const [id] = [...association.contexts.keys()];
    if (id === undefined) throw new UnavailableError(`${association.peerName} refused the Verification service`);
    const status = await association.echo(id);
    if (status !== DimseStatus.Success) {
      throw new UnavailableError(`${association.peerName} answered C-ECHO with status 0x${status.toString(16)}`);
    }
    await association.release();
  } catch (error) {
    association.abort();
    throw error;
  }
}

async function readFileToSend(path: string): Promise<FileToSend> {
  const [header, stats] = await Promise.all([readPart10Header(path), stat(path)]);
  return { ...header, path, sizeBytes: stats.size };
}

/** Per SOP class: one context per transfer syntax of its files, plus one uncompressed fallback. */
export function proposeContexts(
  files: { sopClassUid: string; transferSyntaxUid: string }[],
): { abstractSyntaxUid: string; transferSyntaxUids: string[] }[] {
  const syntaxesByClass = new Map<string, Set<string>>();
  for (const file of files) {
    const syntaxes = syntaxesByClass.get(file.sopClassUid) ?? new Set<string>();
    syntaxes.add(file.transferSyntaxUid);
    syntaxesByClass.set(file.sopClassUid, syntaxes);
  }
  const contexts = [...syntaxesByClass].flatMap(([abstractSyntaxUid, syntaxes]) => [
    ...[...syntaxes].map((uid) => ({ abstractSyntaxUid, transferSyntaxUids: [uid] })),
    { abstractSyntaxUid, transferSyntaxUids: uncompressed() },
  ]);
  if (contexts.length > MAX_PRESENTATION_CONTEXTS) {
    throw new InvalidInputError(
      `${files.length} files need ${contexts.length} presentation contexts; one association holds at most ${MAX_PRESENTATION_CONTEXTS}`,
    );
  }
  return contexts;
}

function uncompressed(): string[] {
  return [TransferSyntax.ExplicitVrLittleEndian, TransferSyntax.ImplicitVrLittleEndian];
}

async function sendOne(association: ScuAssociation, file: FileToSend, logger: DicomLogger): Promise<SendFileResult> {
  const base = { path: file.path, sopInstanceUid: file.sopInstanceUid };
  const route = chooseContext(association.contexts, file);
  if (!route) {
    return { ...base, status: NOT_SENT, ok: false, error: `${association.peerName} accepted no context for SOP class ${file.sopClassUid}` };
  }
  let dataset: AsyncIterable<Buffer>;
  let datasetLength = file.sizeBytes - file.datasetOffset;
  if (route.transferSyntaxUid === file.transferSyntaxUid) {
    dataset = createReadStream(file.path, { start: file.datasetOffset, highWaterMark: READ_CHUNK_BYTES });
  } else {
    try {
      const bytes = await transcodedDataset(file.path, route.transferSyntaxUid);
      logger.warn({ path: file.path, from: file.transferSyntaxUid, to: route.transferSyntaxUid }, 'peer refused the file transfer syntax; sending a transcoded copy');
      dataset = (async function* () {
        yield bytes;
      })();
      datasetLength = bytes.length;
    } catch (error) {
      logger.warn({ path: file.path, ...errorFields(error) }, 'not sent: transcoding failed');
      return { ...base, status: NOT_SENT, ok: false, error: (error as Error).message };
    }
  }
  const response = await association.store(route.id, { sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid, datasetLength }, dataset);
  const status = response.status ?? DimseStatus.ProcessingFailure;
  const ok = isStoreSuccess(status);
  return { ...base, status, ok, ...(ok ? {} : { error: response.errorComment ?? `status 0x${status.toString(16)}` }) };
}

/** The accepted context carrying the file's own transfer syntax, else any accepted one for its class. */
function chooseContext(
  contexts: ScuAssociation['contexts'],
  file: FileToSend,
): { id: number; transferSyntaxUid: string } | undefined {
  const candidates = [...contexts].filter(([, c]) => c.abstractSyntaxUid === file.sopClassUid);
  const exact = candidates.find(([, c]) => c.transferSyntaxUid === file.transferSyntaxUid) ?? candidates[0];
  return exact ? { id: exact[0], transferSyntaxUid: exact[1].transferSyntaxUid } : undefined;
}
