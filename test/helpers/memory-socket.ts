import { Duplex } from 'node:stream';

/**
 * One end of a DICOM connection in memory, for the association state machines: the test plays the
 * peer, sending bytes with `send` and reading back what the association wrote as whole PDUs.
 */
export class MemorySocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  private output = Buffer.alloc(0);
  private readonly waiting: (() => void)[] = [];
  private writesEnded = false;

  constructor() {
    super({ allowHalfOpen: false }); // as a server's TCP socket: the peer's end ends ours
  }

  setNoDelay(): this {
    return this;
  }

  /** The peer sends bytes to the association. */
  send(bytes: Buffer): void {
    this.push(bytes);
  }

  /** The peer closes its end. */
  hangUp(): void {
    this.push(null);
  }

  /** The next whole PDU the association wrote (its 6-byte header included), once it is there. */
  async nextPdu(): Promise<{ type: number; bytes: Buffer }> {
    for (;;) {
      if (this.output.length >= 6) {
        const length = 6 + this.output.readUInt32BE(2);
        if (this.output.length >= length) {
          const bytes = this.output.subarray(0, length);
          this.output = this.output.subarray(length);
          return { type: bytes[0], bytes };
        }
      }
      if (this.writesEnded) throw new Error(`the association closed with ${this.output.length} bytes of a PDU unsent`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Bytes written and not yet read as PDUs. */
  get unreadBytes(): number {
    return this.output.length;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.output = Buffer.concat([this.output, chunk]);
    this.wake();
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.writesEnded = true;
    this.wake();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.writesEnded = true;
    this.wake();
    done(error);
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
