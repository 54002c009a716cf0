import path from 'node:path';
import { closeFd, fsyncFd, openFile, removeFile, renameFile, writeAllAt } from './durable-fs.js';

export interface InstanceFileWriterOptions {
  directory: string;
  /** Final file name; bytes go to `<fileName>.part` until the file is complete and synced. */
  fileName: string;
  /** fsync of the directory (one descriptor shared by all writers of that directory). */
  syncDirectory: () => Promise<void>;
  /** A write starts once this many bytes wait; smaller pieces are coalesced into one writev. */
  flushThresholdBytes: number;
}

export interface WrittenInstanceFile {
  path: string;
  sizeBytes: number;
}

/**
 * Streams one received instance into a file: header first, then the dataset pieces as they come
 * off the socket, coalesced into writev calls at explicit offsets. Writes run one after another
 * on a promise chain; a failure is remembered, later pieces are dropped (the socket must still be
 * drained), and finish() reports it. Nothing is renamed to its final name before it is fsynced.
 */
export class InstanceFileWriter {
  private fd: number | undefined;
  private io: Promise<void>;
  private failure: unknown;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private inFlightBytes = 0;
  private nextPosition = 0;
  private finalPathExists = false;
  private readonly partPath: string;
  readonly finalPath: string;

  constructor(
    header: Buffer,
    private readonly options: InstanceFileWriterOptions,
  ) {
    this.finalPath = path.join(options.directory, options.fileName);
    this.partPath = `${this.finalPath}.part`;
    this.io = openFile(this.partPath, 'wx').then(
      (fd) => {
        this.fd = fd;
      },
      (error) => {
        this.failure = error;
      },
    );
    this.append(header);
  }

  /** Bytes accepted but not yet on their way to the kernel or still being written. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.inFlightBytes;
  }

  append(bytes: Buffer): void {
    if (this.failure !== undefined) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= this.options.flushThresholdBytes) this.flush();
  }

  /** Resolves when every write started so far has ended. */
  whenWritten(): Promise<void> {
    return this.io;
  }

  /** Writes what is left, fsyncs, renames to the final name and fsyncs the directory. */
  async finish(): Promise<WrittenInstanceFile> {
    this.flush();
    await this.io;
    try {
      if (this.failure !== undefined) throw this.failure;
      const fd = this.fd as number;
      await fsyncFd(fd);
      this.fd = undefined;
      await closeFd(fd);
      await renameFile(this.partPath, this.finalPath);
      this.finalPathExists = true;
      await this.options.syncDirectory();
      return { path: this.finalPath, sizeBytes: this.nextPosition };
    } catch (error) {
      await this.discard();
      throw error;
    }
  }

  /** Closes and removes whatever was written (the part file, or the final file after finish()). */
  async discard(): Promise<void> {
    this.failure ??= new Error('discarded');
    await this.io;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await closeFd(fd);
    }
    await removeFile(this.partPath);
    if (this.finalPathExists) await removeFile(this.finalPath);
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const batch = this.pending;
    const batchBytes = this.pendingBytes;
    const position = this.nextPosition;
    this.pending = [];
    this.pendingBytes = 0;
    this.nextPosition += batchBytes;
    this.inFlightBytes += batchBytes;
    this.io = this.io.then(async () => {
      try {
        if (this.failure === undefined) await writeAllAt(this.fd as number, batch, position);
      } catch (error) {
        this.failure ??= error;
      } finally {
        this.inFlightBytes -= batchBytes;
      }
    });
  }
}
