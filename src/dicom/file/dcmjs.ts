/**
 * A typed face over the parts of dcmjs 0.50 we use. dcmjs ships no type declarations, so the
 * untyped module is described here once, and the rest of the code imports only these types.
 */
import { createRequire } from 'node:module';

// dcmjs's ESM build is a .js file in a package without "type": "module": Node loads it, but jest
// parses it as CommonJS and fails. Its CommonJS build loads the same way in both.
const dcmjsUntyped: unknown = createRequire(import.meta.url)('dcmjs');

/** A dcmjs "naturalized" dataset: keywords as keys, plain values, `_vrMap` for ambiguous VRs. */
export type NaturalDataset = Record<string, unknown>;

/** A dcmjs "denaturalized" dataset: tag hex strings as keys, { vr, Value } as values. */
export type DenaturalDataset = Record<string, { vr: string; Value: unknown[] }>;

export interface DicomDict {
  meta: DenaturalDataset;
  dict: DenaturalDataset;
  write(options?: Record<string, unknown>): ArrayBuffer;
}

interface DcmjsApi {
  data: {
    DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options?: { untilTag?: string | null; includeUntilTagValue?: boolean; ignoreErrors?: boolean },
      ): DicomDict;
      /** Writes a dataset's elements (no file meta) in a transfer syntax; returns the bytes written. */
      write(dataset: DenaturalDataset, stream: WriteBufferStream, transferSyntaxUid: string, options: Record<string, unknown>): number;
      /** Reads a dataset's elements (no preamble, no file meta) in a transfer syntax. */
      _read(stream: ReadBufferStream, transferSyntaxUid: string): DenaturalDataset;
    };
    ReadBufferStream: new (buffer: ArrayBuffer) => ReadBufferStream;
    WriteBufferStream: new () => WriteBufferStream;
    DicomMetaDictionary: {
      naturalizeDataset(dataset: DenaturalDataset): NaturalDataset;
      denaturalizeDataset(dataset: NaturalDataset): DenaturalDataset;
    };
    DicomDict: new (meta: DenaturalDataset) => DicomDict;
  };
  log: { getLogger(name: string): Logger };
}

interface ReadBufferStream {
  readonly size: number;
}

interface WriteBufferStream {
  getBuffer(): ArrayBuffer;
}

interface Logger {
  getLevel(): number;
  setLevel(level: number | string, persist?: boolean): void;
}

export const dcmjs = dcmjsUntyped as unknown as DcmjsApi;

export const PIXEL_DATA_TAG = '7FE00010';
export const TRANSFER_SYNTAX_TAG = '00020010';

export interface ReadOptions {
  /** Stop at this tag (hex, e.g. PIXEL_DATA_TAG) without reading its value. */
  readonly untilTag?: string;
}

/**
 * Parses a Part 10 file. dcmjs logs an error for every Implicit VR PixelData ("Invalid vr type ox -
 * using OW") though it reads it right; that logger is quieted for this synchronous call only.
 */
export function readPart10(buffer: ArrayBuffer, options: ReadOptions = {}): DicomDict {
  const logger = dcmjs.log.getLogger('validation.dcmjs');
  const level = logger.getLevel();
  logger.setLevel('silent', false);
  try {
    return dcmjs.data.DicomMessage.readFile(buffer, {
      untilTag: options.untilTag ?? null,
      includeUntilTagValue: false,
      ignoreErrors: false,
    });
  } finally {
    logger.setLevel(level, false);
  }
}

/** Copies a Node Buffer's bytes into a standalone ArrayBuffer (dcmjs wants an ArrayBuffer). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

export interface FileMetaIdentity {
  readonly transferSyntaxUid: string;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
}

/**
 * Encodes a naturalized dataset as a Part 10 file. The file meta group is built here from the
 * dataset's SOP class and instance; dcmjs writes the group length and sorts the elements.
 *
 * In Explicit VR Little Endian, when PixelData is one native buffer and the last element, dcmjs
 * writes only the elements before it and the pixels are copied once into a buffer of the exact
 * size: dcmjs's own stream starts at 4 KB and doubles, which for a 512 x 512 slice makes about
 * 2 MB of garbage per file (the largest allocation a kernel-transfer worker made). The bytes are the same.
 */
export function encodePart10(dataset: NaturalDataset, identity: FileMetaIdentity): Uint8Array {
  const pixels = identity.transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN ? nativePixelData(dataset) : undefined;
  if (!pixels) return encodePart10WithDcmjs(dataset, identity);
  const { PixelData: _pixels, ...rest } = dataset;
  const file = new dcmjs.data.DicomDict(fileMeta(dataset, identity));
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(rest);
  if (Object.keys(file.dict).some((tag) => tag.toUpperCase() > PIXEL_DATA_TAG)) return encodePart10WithDcmjs(dataset, identity);
  const head = new Uint8Array(file.write());
  const padded = pixels.bytes.byteLength + (pixels.bytes.byteLength % 2);
  const out = new Uint8Array(head.byteLength + PIXEL_DATA_HEADER_BYTES + padded);
  out.set(head);
  const header = new DataView(out.buffer, head.byteLength, PIXEL_DATA_HEADER_BYTES);
  header.setUint16(0, 0x7fe0, true);
  header.setUint16(2, 0x0010, true);
  out[head.byteLength + 4] = pixels.vr.charCodeAt(0);
  out[head.byteLength + 5] = pixels.vr.charCodeAt(1);
  header.setUint32(8, padded, true);
  out.set(pixels.bytes, head.byteLength + PIXEL_DATA_HEADER_BYTES);
  return out;
}

/** The whole file written by dcmjs alone (any transfer syntax dcmjs writes). */
export function encodePart10WithDcmjs(dataset: NaturalDataset, identity: FileMetaIdentity): Uint8Array {
  const file = new dcmjs.data.DicomDict(fileMeta(dataset, identity));
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(file.write());
}

function fileMeta(dataset: NaturalDataset, identity: FileMetaIdentity): DenaturalDataset {
  return dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: identity.transferSyntaxUid,
    ImplementationClassUID: identity.implementationClassUid,
    ImplementationVersionName: identity.implementationVersionName,
  });
}

/** Tag, VR, two reserved bytes and a 32-bit length: how OB and OW elements start in Explicit VR. */
const PIXEL_DATA_HEADER_BYTES = 12;

/** PixelData given as one uncompressed buffer, with its VR (OW unless the dataset says OB). */
function nativePixelData(dataset: NaturalDataset): { bytes: Uint8Array; vr: 'OB' | 'OW' } | undefined {
  const value = dataset.PixelData;
  const vr = (dataset._vrMap as Record<string, string> | undefined)?.PixelData ?? 'OW';
  if (!Array.isArray(value) || value.length !== 1 || !(value[0] instanceof ArrayBuffer)) return undefined;
  if (vr !== 'OB' && vr !== 'OW') return undefined;
  return { bytes: new Uint8Array(value[0]), vr };
}
