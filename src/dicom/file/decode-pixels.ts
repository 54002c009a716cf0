import dcmjsCodecs from 'dcmjs-codecs';
import { InvalidInputError } from '../../errors.js';
import type { PixelFormat } from './pixel-format.js';

/** The facts a decoder needs about one single-frame grayscale image. */
export interface FrameInfo {
  readonly path: string;
  readonly transferSyntaxUid: string;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly photometricInterpretation: string;
  readonly pixelFormat: PixelFormat;
  /** 1-based frame of a multi-frame object, and the frame count; absent for a single-frame file. */
  readonly frame?: { readonly number: number; readonly count: number };
}

type Decoder = 'decodeJpeg' | 'decodeJpegLs' | 'decodeRle' | 'decodeJpeg2000';

const UNCOMPRESSED = new Set([
  '1.2.840.10008.1.2', // Implicit VR Little Endian
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian (Deflated is not read: pixels are read at their file offset)
]);

const COMPRESSED: Record<string, Decoder> = {
  '1.2.840.10008.1.2.4.57': 'decodeJpeg', // JPEG Lossless, Process 14
  '1.2.840.10008.1.2.4.70': 'decodeJpeg', // JPEG Lossless, Process 14, SV1
  '1.2.840.10008.1.2.4.80': 'decodeJpegLs', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81': 'decodeJpegLs', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.5': 'decodeRle', // RLE Lossless
  '1.2.840.10008.1.2.4.90': 'decodeJpeg2000', // JPEG 2000 Lossless Only
  '1.2.840.10008.1.2.4.91': 'decodeJpeg2000', // JPEG 2000
};

export function isCompressed(transferSyntaxUid: string): boolean {
  return transferSyntaxUid in COMPRESSED;
}

/** Refuses, before any pixel is read, what decodeFrame cannot decode. */
export function checkDecodable(info: FrameInfo): void {
  if (!UNCOMPRESSED.has(info.transferSyntaxUid) && !isCompressed(info.transferSyntaxUid)) {
    throw new InvalidInputError(`${info.path}: transfer syntax ${info.transferSyntaxUid} is not supported`);
  }
  if (info.frame && isCompressed(info.transferSyntaxUid)) {
    throw new InvalidInputError(`${info.path}: compressed multi-frame pixel data (${info.transferSyntaxUid}) is not supported yet; send it uncompressed`);
  }
  if (info.samplesPerPixel !== 1 || info.photometricInterpretation !== 'MONOCHROME2') {
    throw new InvalidInputError(
      `${info.path}: only grayscale MONOCHROME2 images are supported, got SamplesPerPixel ${info.samplesPerPixel}, ` +
        `PhotometricInterpretation ${info.photometricInterpretation || '(missing)'}`,
    );
  }
}

/**
 * The native codecs live in a WebAssembly module that must be instantiated once per process before
 * the first compressed frame; instantiating it again is harmless, so no module state is kept here.
 */
export async function prepareDecoders(): Promise<void> {
  if (!dcmjsCodecs.NativeCodecs.isInitialized()) await dcmjsCodecs.NativeCodecs.initializeAsync();
}

/**
 * Turns the PixelData value of a single-frame image (one buffer when native, the fragments when
 * encapsulated) into its raw pixel words, BitsAllocated wide, before masking to BitsStored.
 */
export function decodeFrame(pixelData: readonly ArrayBuffer[], info: FrameInfo): Uint16Array | Uint8Array {
  const pixels = info.rows * info.columns;
  const bytes = isCompressed(info.transferSyntaxUid) ? decodeCompressed(pixelData, info) : concat(pixelData);
  const needed = pixels * (info.pixelFormat.bitsAllocated / 8);
  if (bytes.byteLength < needed) {
    throw new InvalidInputError(`${info.path}: PixelData has ${bytes.byteLength} bytes, ${needed} expected for ${info.rows}x${info.columns}`);
  }
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return info.pixelFormat.bitsAllocated === 16
    ? new Uint16Array(aligned.buffer, aligned.byteOffset, pixels)
    : new Uint8Array(aligned.buffer, aligned.byteOffset, pixels);
}

function decodeCompressed(fragments: readonly ArrayBuffer[], info: FrameInfo): Uint8Array {
  const { NativeCodecs, Context } = dcmjsCodecs;
  if (!NativeCodecs.isInitialized()) {
    throw new Error('dcmjs-codecs is not initialised: call prepareDecoders() before decoding compressed frames');
  }
  const context = new Context({
    width: info.columns,
    height: info.rows,
    bitsAllocated: info.pixelFormat.bitsAllocated,
    bitsStored: info.pixelFormat.bitsStored,
    samplesPerPixel: 1,
    pixelRepresentation: info.pixelFormat.pixelRepresentation,
    planarConfiguration: 0,
    photometricInterpretation: info.photometricInterpretation,
    encodedBuffer: concat(fragments),
  });
  const decoder = COMPRESSED[info.transferSyntaxUid];
  let decoded: Uint8Array | undefined;
  try {
    decoded = NativeCodecs[decoder](context, {}).getDecodedBuffer();
  } catch (error) {
    throw new InvalidInputError(`${info.path}: cannot decode ${info.transferSyntaxUid} pixel data (${String(error)})`, error);
  }
  if (!decoded) throw new InvalidInputError(`${info.path}: decoder returned no pixels for ${info.transferSyntaxUid}`);
  return decoded;
}

/** One frame may arrive as several fragments; joins them (a single buffer is used as it is). */
function concat(buffers: readonly ArrayBuffer[]): Uint8Array {
  if (buffers.length === 1) return new Uint8Array(buffers[0]);
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    out.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return out;
}
