import path from 'node:path';
import { closeFd, fsyncFd, openFile, removeFile, renameFile, writeAllAt } from './durable-fs.js';

export interface InstanceFileWriterOptions {
  directory: string;
  /** Final file name; bytes go to `<fileName>.part` until the whole dataset is written. */
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
 * off the socket, coalesced into writev calls at explicit offsets while the rest still arrives.
 * Writes run one after another on a promise chain; a failure is remembered, later pieces are
 * dropped (the socket must still be drained) and finish() reports it.
 *
 * finish() is on the critical path of every C-STORE (the sender waits for our answer), so it
 * takes as few thread-pool round trips as it can: the last write and the rename run together,
 * then the file fsync and the directory fsync run together (on ext4 they share one journal
 * commit), and the descriptor is closed afterwards, off the path. Only when finish() resolved
 * is the file durable under its final name; nobody is told about it before.
 */
export class InstanceFileWriter {
  private fd: number | undefined;
  private readonly opened: Promise<void>;
  private io: Promise<void>;
  private closed: Promise<void> = Promise.resolve();
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
    this.opened = openFile(this.partPath, 'wx').then(
      (fd) => {
        this.fd = fd;
      },
      (error) => {
        this.failure = error;
      },
    );
    this.io = this.opened;
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

  /** Writes what is left, renames to the final name, fsyncs file and directory. */
  async finish(): Promise<WrittenInstanceFile> {
    this.flush();
    try {
      await this.opened;
      if (this.failure !== undefined) throw this.failure;
      const renamed = renameFile(this.partPath, this.finalPath).then(() => {
        this.finalPathExists = true;
      });
      await Promise.all([this.io, renamed]);
      if (this.failure !== undefined) throw this.failure;
      const fd = this.fd as number;
      await Promise.all([fsyncFd(fd), this.options.syncDirectory()]);
      this.fd = undefined;
      this.closed = closeFd(fd).catch(() => undefined); // the data is durable; a failing close changes nothing
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
    await this.closed;
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
