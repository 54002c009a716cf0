import { open } from 'node:fs/promises';
import { InvalidInputError } from '../../errors.js';

/**
 * DICOM Part 10 file meta information (PS3.10 section 7.1): the 128-byte preamble, "DICM", then
 * the group 0002 elements in Explicit VR Little Endian. Written and read by hand because the
 * dataset after it must stay exactly the bytes that came off the wire: no dataset library is
 * allowed to parse and re-encode it.
 */

const PREAMBLE_LENGTH = 128;
const MAGIC = 'DICM';
const FIRST_READ = 4096;
const MAX_META_READ = 64 * 1024;
const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export interface FileMetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid: string;
  implementationVersionName?: string;
  sourceAeTitle?: string;
}

export interface Part10Header {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle: string | undefined;
  implementationClassUid: string | undefined;
  /** Byte offset of the dataset: everything from here on is the dataset as encoded. */
  datasetOffset: number;
}

/** Preamble, magic and file meta group for a dataset that will follow it unchanged. */
export function encodeFileMeta(fields: FileMetaFields): Buffer {
  const elements = [
    element(0x0001, 'OB', Buffer.from([0x00, 0x01])),
    element(0x0002, 'UI', uidValue(fields.sopClassUid)),
    element(0x0003, 'UI', uidValue(fields.sopInstanceUid)),
    element(0x0010, 'UI', uidValue(fields.transferSyntaxUid)),
    element(0x0012, 'UI', uidValue(fields.implementationClassUid)),
  ];
  if (fields.implementationVersionName) {
    elements.push(element(0x0013, 'SH', textValue(fields.implementationVersionName)));
  }
  if (fields.sourceAeTitle) elements.push(element(0x0016, 'AE', textValue(fields.sourceAeTitle)));
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([
    Buffer.alloc(PREAMBLE_LENGTH),
    Buffer.from(MAGIC, 'latin1'),
    element(0x0000, 'UL', groupLength),
    body,
  ]);
}

function element(elementNumber: number, vr: string, value: Buffer): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

function uidValue(uid: string): Buffer {
  const bytes = Buffer.from(uid, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([0])]);
}

function textValue(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from(' ', 'latin1')]);
}

/** Reads the file meta of a Part 10 file without touching its dataset. */
export async function readPart10Header(path: string): Promise<Part10Header> {
  const handle = await open(path, 'r');
  try {
    // The file meta is a few hundred bytes; read more only when it is longer than the first read.
    for (let length = FIRST_READ; ; length = MAX_META_READ) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      const bytes = buffer.subarray(0, bytesRead);
      if (bytesRead < length || length === MAX_META_READ || metaFitsIn(bytes)) return parsePart10Header(bytes, path);
    }
  } finally {
    await handle.close();
  }
}

/** Whether the group 0002 elements end inside these bytes. */
function metaFitsIn(bytes: Buffer): boolean {
  let pos = PREAMBLE_LENGTH + 4;
  while (pos + 12 <= bytes.length && bytes.readUInt16LE(pos) === 0x0002) {
    const long = LONG_LENGTH_VRS.has(bytes.toString('latin1', pos + 4, pos + 6));
    pos += long ? 12 + bytes.readUInt32LE(pos + 8) : 8 + bytes.readUInt16LE(pos + 6);
  }
  return pos + 12 <= bytes.length;
}

/** Parses the file meta at the start of `bytes` (the file's first bytes); `name` names the file in errors. */
export function parsePart10Header(bytes: Buffer, name: string): Part10Header {
  if (bytes.length < PREAMBLE_LENGTH + 4 || bytes.toString('latin1', PREAMBLE_LENGTH, PREAMBLE_LENGTH + 4) !== MAGIC) {
    throw new InvalidInputError(`${name}: not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)`);
  }
  const values = new Map<number, Buffer>();
  let pos = PREAMBLE_LENGTH + 4;
  while (pos + 8 <= bytes.length && bytes.readUInt16LE(pos) === 0x0002) {
    const elementNumber = bytes.readUInt16LE(pos + 2);
    const vr = bytes.toString('latin1', pos + 4, pos + 6);
    const long = LONG_LENGTH_VRS.has(vr);
    const length = long ? bytes.readUInt32LE(pos + 8) : bytes.readUInt16LE(pos + 6);
    const start = pos + (long ? 12 : 8);
    if (start + length > bytes.length) {
      throw new InvalidInputError(`${name}: file meta element (0002,${hex4(elementNumber)}) runs past the first ${bytes.length} bytes`);
    }
    values.set(elementNumber, bytes.subarray(start, start + length));
    pos = start + length;
  }
  const text = (elementNumber: number) => {
    const value = values.get(elementNumber);
    return value ? value.toString('latin1').replace(/[\0 ]+$/, '').trim() : undefined;
  };
  const required = (elementNumber: number, keyword: string) => {
    const value = text(elementNumber);
    if (!value) throw new InvalidInputError(`${name}: file meta lacks ${keyword} (0002,${hex4(elementNumber)})`);
    return value;
  };
  return {
    sopClassUid: required(0x0002, 'MediaStorageSOPClassUID'),
    sopInstanceUid: required(0x0003, 'MediaStorageSOPInstanceUID'),
    transferSyntaxUid: required(0x0010, 'TransferSyntaxUID'),
    implementationClassUid: text(0x0012),
    sourceAeTitle: text(0x0016),
    datasetOffset: pos,
  };
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}
