import { open } from 'node:fs/promises';
import { InvalidInputError } from '../../errors.js';
import { decodeFrame, isCompressed, type FrameInfo } from './decode-pixels.js';

/** A frame to read: what the decoder needs, and where its PixelData lies (from the header read). */
export interface LocatedFrame extends FrameInfo {
  readonly pixelData: { readonly offset: number; readonly length: number };
}

const ITEM = 0xe000;

/** A standalone ArrayBuffer of these bytes (the decoders take ArrayBuffers). */
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
const SEQUENCE_DELIMITER = 0xe0dd;

/** The bytes in [start, start + length), fewer at the end of the file, in a buffer of their own. */
async function readRange(path: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const bytes = Buffer.from(new ArrayBuffer(length));
    const { bytesRead } = await handle.read(bytes, 0, length, start);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Reads one frame's raw pixel words straight from the file at the PixelData offset its header read
 * found: native data as the frame's own byte range (no dataset library parses the file again),
 * encapsulated data as the fragments after the offset table.
 */
export async function readFramePixels(frame: LocatedFrame): Promise<Uint16Array | Uint8Array> {
  if (isCompressed(frame.transferSyntaxUid)) return decodeFrame(await readFragments(frame), frame);
  const frameBytes = frame.rows * frame.columns * frame.samplesPerPixel * (frame.pixelFormat.bitsAllocated / 8);
  const start = frame.pixelData.offset + ((frame.frame?.number ?? 1) - 1) * frameBytes;
  const bytes = await readRange(frame.path, start, frameBytes);
  const where = frame.frame ? `frame ${frame.frame.number}` : 'the frame';
  if (bytes.length < frameBytes) throw new InvalidInputError(`${frame.path}: ${where} ends past the end of the file`);
  // readRange's buffer is the frame's own: handed over without a copy.
  return decodeFrame([bytes.buffer as ArrayBuffer], frame);
}

/** The fragments of a single-frame encapsulated PixelData value (the Basic Offset Table skipped). */
async function readFragments(frame: LocatedFrame): Promise<ArrayBuffer[]> {
  const handle = await open(frame.path, 'r');
  const size = (await handle.stat()).size;
  await handle.close();
  const bytes = await readRange(frame.path, frame.pixelData.offset, size - frame.pixelData.offset);
  const fragments: ArrayBuffer[] = [];
  let at = 0;
  let first = true;
  while (at + 8 <= bytes.length) {
    const group = bytes.readUInt16LE(at);
    const element = bytes.readUInt16LE(at + 2);
    const length = bytes.readUInt32LE(at + 4);
    at += 8;
    if (group === 0xfffe && element === SEQUENCE_DELIMITER) return fragments;
    if (group !== 0xfffe || element !== ITEM || at + length > bytes.length) break;
    if (!first) fragments.push(arrayBufferOf(bytes.subarray(at, at + length)));
    first = false;
    at += length;
  }
  throw new InvalidInputError(`${frame.path}: encapsulated PixelData is malformed or cut short after ${fragments.length} fragments`);
}
