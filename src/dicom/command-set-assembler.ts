import { InvalidInputError } from '../errors.js';
import { MAX_COMMAND_SET_LENGTH } from './pdu-limits.js';

/**
 * Gathers one DIMSE command set from the command PDVs it arrives in, for the listener and the
 * sender alike, and refuses one longer than MAX_COMMAND_SET_LENGTH (a peer cannot make us hold
 * more than that). The parts are views of received chunks, joined once when the last PDV ends.
 * The sender gathers a response's small dataset (a C-FIND match) with one of its own, named so.
 */
export class CommandSetAssembler {
  private parts: Buffer[] = [];
  private length = 0;
  private started = false;

  constructor(
    private readonly maxLength = MAX_COMMAND_SET_LENGTH,
    private readonly what = 'DIMSE command set',
  ) {}

  /** A command PDV began (its bytes may still be none). */
  start(): void {
    this.started = true;
  }

  append(bytes: Buffer): void {
    this.length += bytes.length;
    if (this.length > this.maxLength) throw new InvalidInputError(`${this.what} over ${this.maxLength} bytes`);
    this.parts.push(bytes);
  }

  /** Part of a command set has arrived, not yet its last PDV. */
  get inProgress(): boolean {
    return this.started;
  }

  /** The whole command set, after its last PDV; the assembler is empty again. */
  take(): Buffer {
    const whole = Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    this.started = false;
    return whole;
  }
}
