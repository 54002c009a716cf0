import type { DicomLogger } from './dicom-logger.js';
import { errorFields } from './dicom-logger.js';
import type { DimseCommand } from './dimse-commands.js';
import { DimseStatus, storeStatusForError } from './dimse-status.js';
import { InstanceFileWriter } from './instance-file-writer.js';
import type { DicomListenerHandlers, ReceivedInstance } from './listener-types.js';
import { encodeFileMeta } from './file/part10.js';
import { checkReceivedDataset } from './file/received-dataset.js';

/** Bytes kept in memory for the check before Success: CT headers end well inside them. */
const PREFIX_BYTES = 64 * 1024;

/** Where and how received instances are written; one per listener. */
export interface StoreSettings {
  incomingDir: string;
  syncDirectory: () => Promise<void>;
  flushThresholdBytes: number;
  implementationClassUid: string;
  implementationVersionName: string;
  clock: () => Date;
  logger: DicomLogger;
}

export interface StoreContext {
  associationId: string;
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string | undefined;
  overwrite: 'keep-first' | 'replace';
  presentationContextId: number;
  abstractSyntaxUid: string;
  transferSyntaxUid: string;
}

/**
 * One C-STORE being received: its dataset goes to a file as it arrives (or is drained and
 * dropped when the request is refused up front), then complete() makes the file durable, hands
 * it to the handler and says which status to answer.
 */
export class IncomingStore {
  readonly messageId: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly writer: InstanceFileWriter | undefined;
  private readonly refusal: { status: number; comment: string } | undefined;
  /** The file's first bytes (meta and the start of the dataset), checked before Success. */
  private prefix: Buffer[] = [];
  private prefixBytes = 0;

  constructor(
    readonly context: StoreContext,
    command: DimseCommand,
    fileName: string,
    private readonly settings: StoreSettings,
  ) {
    this.messageId = command.messageId ?? 0;
    this.sopClassUid = command.affectedSopClassUid ?? context.abstractSyntaxUid;
    this.sopInstanceUid = command.affectedSopInstanceUid ?? '';
    this.refusal = refusalFor(command, context);
    if (this.refusal) return;
    const header = encodeFileMeta({
      sopClassUid: this.sopClassUid,
      sopInstanceUid: this.sopInstanceUid,
      transferSyntaxUid: context.transferSyntaxUid,
      implementationClassUid: settings.implementationClassUid,
      implementationVersionName: settings.implementationVersionName,
      sourceAeTitle: context.callingAeTitle,
    });
    this.keep(header);
    this.writer = new InstanceFileWriter(header, {
      directory: settings.incomingDir,
      fileName,
      syncDirectory: settings.syncDirectory,
      flushThresholdBytes: settings.flushThresholdBytes,
    });
  }

  append(bytes: Buffer): void {
    this.writer?.append(bytes);
    this.keep(bytes);
  }

  private keep(bytes: Buffer): void {
    if (this.prefixBytes >= PREFIX_BYTES) return;
    const part = Buffer.from(bytes.subarray(0, PREFIX_BYTES - this.prefixBytes));
    this.prefix.push(part);
    this.prefixBytes += part.length;
  }

  /** Fail closed: the status is a failure until the handler has resolved. */
  async complete(handlers: DicomListenerHandlers): Promise<{ status: number; comment?: string }> {
    if (this.refusal || !this.writer) return this.refusal ?? { status: DimseStatus.ProcessingFailure };
    let status: number = DimseStatus.ProcessingFailure;
    let comment: string | undefined;
    let stored = false;
    try {
      const file = await this.writer.finish();
      stored = true;
      const prefix = Buffer.concat(this.prefix, this.prefixBytes);
      this.prefix = [];
      await checkReceivedDataset({ ...file, prefix, sopClassUid: this.sopClassUid, sopInstanceUid: this.sopInstanceUid, transferSyntaxUid: this.context.transferSyntaxUid });
      await handlers.onInstance(this.describe(file.path, file.sizeBytes));
      status = DimseStatus.Success;
    } catch (error) {
      status = storeStatusForError(error);
      comment = error instanceof Error ? error.message : String(error);
      this.settings.logger.warn(
        { associationId: this.context.associationId, sopInstanceUid: this.sopInstanceUid, status, ...errorFields(error) },
        stored ? 'instance refused or its handler failed; file removed, C-STORE answered with failure' : 'could not write received instance',
      );
      if (stored) await this.discardAfterFailure();
    }
    return { status, comment };
  }

  /** Drops the partly received file (the association ended before the dataset did). */
  async abandon(): Promise<void> {
    await this.writer?.discard();
  }

  private describe(path: string, sizeBytes: number): ReceivedInstance {
    return {
      path,
      sizeBytes,
      sopClassUid: this.sopClassUid,
      sopInstanceUid: this.sopInstanceUid,
      transferSyntaxUid: this.context.transferSyntaxUid,
      callingAeTitle: this.context.callingAeTitle,
      calledAeTitle: this.context.calledAeTitle,
      overwrite: this.context.overwrite,
      associationId: this.context.associationId,
      receivedAt: this.settings.clock(),
    };
  }

  private async discardAfterFailure(): Promise<void> {
    try {
      await this.writer?.discard();
    } catch (error) {
      this.settings.logger.error(
        { associationId: this.context.associationId, ...errorFields(error) },
        'could not remove the file of a failed instance',
      );
    }
  }
}

function refusalFor(command: DimseCommand, context: StoreContext): { status: number; comment: string } | undefined {
  if (!command.affectedSopInstanceUid) {
    return { status: DimseStatus.CannotUnderstand, comment: 'C-STORE-RQ without Affected SOP Instance UID' };
  }
  if (command.affectedSopClassUid && command.affectedSopClassUid !== context.abstractSyntaxUid) {
    return {
      status: DimseStatus.SopClassNotSupported,
      comment: `SOP class ${command.affectedSopClassUid} sent on a context for ${context.abstractSyntaxUid}`,
    };
  }
  return undefined;
}
