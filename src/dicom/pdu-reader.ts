import { InvalidInputError } from '../errors.js';
import type { PduLimits } from './pdu-limits.js';

/**
 * Incremental reader of DICOM upper-layer PDUs (PS3.8 section 9.3) from a TCP byte stream.
 *
 * Why not dcmjs-dimse's reader: it concatenates every incoming chunk onto the PDU being received
 * (Buffer.concat per socket read, unbounded, quadratic in the PDU length) and then copies each PDV
 * value again through smart-buffer. Here P-DATA-TF PDUs are never assembled: each PDV value is
 * handed on as views (subarrays) of the socket chunks it arrived in, so dataset bytes are not
 * copied at all before they reach the file. Only the small association-control PDUs are
 * assembled whole (to decode them), and both kinds are bounded in length.
 *
 * The sink may call pause() from any callback; reading stops right after that callback and the
 * unread bytes wait until resume().
 */
export interface PduSink {
  /** A whole PDU other than P-DATA-TF, its 6-byte header included. */
  controlPdu(type: number, pdu: Buffer): void;
  pdvStart(presentationContextId: number, isCommand: boolean, isLast: boolean): void;
  /** A piece of the current PDV's value; a view of a received chunk, valid to keep. */
  pdvData(bytes: Buffer): void;
  pdvEnd(): void;
}

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

const PDU_HEADER_LENGTH = 6;
const PDV_HEADER_LENGTH = 6;

type ReadState = 'pduHeader' | 'controlBody' | 'pdvHeader' | 'pdvValue';

export class PduReader {
  private readonly queue: Buffer[] = [];
  private offset = 0;
  private paused = false;
  private running = false;
  private state: ReadState = 'pduHeader';
  private readonly header = Buffer.alloc(PDU_HEADER_LENGTH);
  private headerFill = 0;
  private pduRemaining = 0;
  private pdvRemaining = 0;
  private control: Buffer | undefined;
  private controlFill = 0;

  constructor(
    private limits: PduLimits,
    private readonly sink: PduSink,
  ) {}

  setMaxDataPduLength(length: number): void {
    this.limits = { ...this.limits, maxDataPduLength: length };
  }

  /** Queues a received chunk and reads as far as it can. Throws InvalidInputError on a malformed stream. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.run();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** True between PDUs: no PDU has been partly read. */
  get atPduBoundary(): boolean {
    return this.state === 'pduHeader' && this.headerFill === 0;
  }

  private run(): void {
    if (this.running) return; // re-entered from a sink callback: the outer loop carries on
    this.running = true;
    try {
      while (!this.paused && this.queue.length > 0) {
        const chunk = this.queue[0];
        this.offset = this.step(chunk, this.offset);
        if (this.offset >= chunk.length) {
          this.queue.shift();
          this.offset = 0;
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Consumes bytes of chunk from pos for the current state; returns the new position. */
  private step(chunk: Buffer, pos: number): number {
    switch (this.state) {
      case 'pduHeader':
        return this.readPduHeader(chunk, pos);
      case 'controlBody':
        return this.readControlBody(chunk, pos);
      case 'pdvHeader':
        return this.readPdvHeader(chunk, pos);
      case 'pdvValue':
        return this.readPdvValue(chunk, pos);
    }
  }

  /** Gathers `length` header bytes, straight from the chunk when they are all there. */
  private gather(chunk: Buffer, pos: number, length: number): { bytes: Buffer | undefined; pos: number } {
    if (this.headerFill === 0 && chunk.length - pos >= length) {
      return { bytes: chunk.subarray(pos, pos + length), pos: pos + length };
    }
    const take = Math.min(length - this.headerFill, chunk.length - pos);
    chunk.copy(this.header, this.headerFill, pos, pos + take);
    this.headerFill += take;
    if (this.headerFill < length) return { bytes: undefined, pos: pos + take };
    this.headerFill = 0;
    return { bytes: this.header.subarray(0, length), pos: pos + take };
  }

  private readPduHeader(chunk: Buffer, pos: number): number {
    const { bytes, pos: next } = this.gather(chunk, pos, PDU_HEADER_LENGTH);
    if (!bytes) return next;
    const type = bytes[0];
    const length = bytes.readUInt32BE(2);
    if (type === PduType.PDataTf) {
      if (length > this.limits.maxDataPduLength) {
        throw new InvalidInputError(
          `P-DATA-TF PDU of ${length} bytes exceeds the negotiated maximum of ${this.limits.maxDataPduLength}`,
        );
      }
      this.pduRemaining = length;
      this.state = length === 0 ? 'pduHeader' : 'pdvHeader';
      return next;
    }
    if (type < PduType.AssociateRq || type > PduType.Abort) {
      throw new InvalidInputError(`unknown PDU type 0x${type.toString(16).padStart(2, '0')}`);
    }
    if (length > this.limits.maxControlPduLength) {
      throw new InvalidInputError(
        `PDU of type 0x${type.toString(16).padStart(2, '0')} and ${length} bytes exceeds the limit of ${this.limits.maxControlPduLength}`,
      );
    }
    this.control = Buffer.allocUnsafe(PDU_HEADER_LENGTH + length);
    bytes.copy(this.control, 0, 0, PDU_HEADER_LENGTH);
    this.controlFill = PDU_HEADER_LENGTH;
    this.state = 'controlBody';
    return length === 0 ? this.emitControl(next) : next;
  }

  private readControlBody(chunk: Buffer, pos: number): number {
    const control = this.control as Buffer;
    const take = Math.min(control.length - this.controlFill, chunk.length - pos);
    chunk.copy(control, this.controlFill, pos, pos + take);
    this.controlFill += take;
    return this.controlFill === control.length ? this.emitControl(pos + take) : pos + take;
  }

  private emitControl(pos: number): number {
    const control = this.control as Buffer;
    this.control = undefined;
    this.state = 'pduHeader';
    this.sink.controlPdu(control[0], control);
    return pos;
  }

  private readPdvHeader(chunk: Buffer, pos: number): number {
    if (this.pduRemaining < PDV_HEADER_LENGTH) {
      throw new InvalidInputError(`P-DATA-TF PDU ends inside a PDV item header (${this.pduRemaining} bytes left)`);
    }
    const { bytes, pos: next } = this.gather(chunk, pos, PDV_HEADER_LENGTH);
    if (!bytes) return next;
    const itemLength = bytes.readUInt32BE(0);
    const presentationContextId = bytes[4];
    const control = bytes[5];
    if (itemLength < 2 || itemLength + 4 > this.pduRemaining) {
      throw new InvalidInputError(
        `PDV item length ${itemLength} does not fit the ${this.pduRemaining} bytes left of its P-DATA-TF PDU`,
      );
    }
    this.pduRemaining -= itemLength + 4;
    this.pdvRemaining = itemLength - 2;
    this.state = 'pdvValue';
    this.sink.pdvStart(presentationContextId, (control & 0x01) !== 0, (control & 0x02) !== 0);
    return this.pdvRemaining === 0 ? this.endPdv(next) : next;
  }

  private readPdvValue(chunk: Buffer, pos: number): number {
    const take = Math.min(this.pdvRemaining, chunk.length - pos);
    this.pdvRemaining -= take;
    const end = pos + take;
    this.sink.pdvData(pos === 0 && end === chunk.length ? chunk : chunk.subarray(pos, end));
    return this.pdvRemaining === 0 ? this.endPdv(end) : end;
  }

  private endPdv(pos: number): number {
    this.state = this.pduRemaining === 0 ? 'pduHeader' : 'pdvHeader';
    this.sink.pdvEnd();
    return pos;
  }
}
