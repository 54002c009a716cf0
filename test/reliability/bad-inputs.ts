import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DimseStatus } from '../../src/dicom/dimse-status.js';
import { parsePart10Header } from '../../src/dicom/file/part10.js';
import { SopClass, TransferSyntax } from '../../src/dicom/uids.js';
import { dcmjs, encodePart10, EXPLICIT_VR_LITTLE_ENDIAN, readPart10, toArrayBuffer, type NaturalDataset } from '../../src/dicom/file/dcmjs.js';

/** One malformed or hostile C-STORE, and the status the node must answer it with. */
export interface BadInput {
  readonly name: string;
  /** The command's Affected SOP Class / Instance UID (default: the dataset's own). */
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly dataset: Buffer;
  readonly expectedStatus: number;
}

const CT = SopClass.CtImageStorage;
const EXPLICIT = TransferSyntax.ExplicitVrLittleEndian;
const IMPLICIT = TransferSyntax.ImplicitVrLittleEndian;
const JPEG_LOSSLESS = TransferSyntax.JpegLosslessSv1;

/** The dataset after a Part 10 file's meta group (whose first element, its group length, says where it ends). */
function datasetBytes(part10: Buffer): Buffer {
  if (part10.readUInt16LE(132) !== 0x0002 || part10.readUInt16LE(134) !== 0x0000) return part10.subarray(parsePart10Header(part10, 'corpus').datasetOffset);
  return part10.subarray(132 + 12 + part10.readUInt32LE(140));
}

function encode(dataset: NaturalDataset, transferSyntaxUid = EXPLICIT_VR_LITTLE_ENDIAN): Buffer {
  return datasetBytes(
    Buffer.from(encodePart10(dataset, { transferSyntaxUid, implementationClassUid: '2.25.1', implementationVersionName: 'CORPUS' })),
  );
}

/** Offset of PixelData's tag in Explicit VR Little Endian dataset bytes. */
function pixelDataOffset(bytes: Buffer): number {
  const at = bytes.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  if (at < 0) throw new Error('no PixelData in the corpus base');
  return at;
}

/**
 * Replaces the value of a short-form element of Explicit VR Little Endian dataset bytes, byte by
 * byte: dcmjs would cut a UID to its 64-character maximum, and a sender need not.
 */
function withElement(bytes: Buffer, group: number, element: number, value: string): Buffer {
  const tag = Buffer.alloc(4);
  tag.writeUInt16LE(group, 0);
  tag.writeUInt16LE(element, 2);
  const at = bytes.indexOf(tag);
  if (at < 0) throw new Error(`no element (${group.toString(16)},${element.toString(16)}) in the corpus base`);
  const length = bytes.readUInt16LE(at + 6);
  const padded = Buffer.from(value.length % 2 === 0 ? value : `${value}\0`, 'latin1');
  const header = Buffer.from(bytes.subarray(at, at + 8));
  header.writeUInt16LE(padded.length, 6);
  return Buffer.concat([bytes.subarray(0, at), header, padded, bytes.subarray(at + 8 + length)]);
}

let counter = 0;
function freshUid(): string {
  counter += 1;
  return `2.25.${BigInt(`0x${randomBytes(12).toString('hex')}`)}${counter}`;
}

/**
 * At least 40 kinds of bad input built from one real CT slice (Explicit VR Little Endian): random
 * bytes, every kind of truncation, identifiers that are missing, invalid, path-like or too long,
 * command and dataset that disagree, image attributes that contradict the pixel data, and
 * compressed data that is not. `compressedFile` is a JPEG-lossless copy of the slice (dcmcjpeg).
 */
export async function badInputCorpus(sliceFile: string, compressedFile: string): Promise<BadInput[]> {
  const baseBytes = await readFile(sliceFile);
  const natural = (): NaturalDataset => {
    const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(readPart10(toArrayBuffer(baseBytes)).dict);
    dataset._vrMap = { PixelData: 'OW' };
    dataset.SOPInstanceUID = freshUid();
    return dataset;
  };
  const good = () => {
    const dataset = natural();
    return { dataset, bytes: encode(dataset) };
  };
  const item = (name: string, dataset: NaturalDataset | undefined, bytes: Buffer, expectedStatus: number, command: Partial<BadInput> = {}): BadInput => ({
    name,
    sopClassUid: command.sopClassUid ?? (dataset?.SOPClassUID as string | undefined) ?? CT,
    sopInstanceUid: command.sopInstanceUid ?? (dataset?.SOPInstanceUID as string | undefined) ?? freshUid(),
    transferSyntaxUid: command.transferSyntaxUid ?? EXPLICIT,
    dataset: bytes,
    expectedStatus,
  });
  const modified = (name: string, change: (dataset: NaturalDataset) => void, expectedStatus: number, command: Partial<BadInput> = {}) => {
    const dataset = natural();
    const original = dataset.SOPInstanceUID as string;
    change(dataset);
    const bytes = encode(dataset);
    const uid = typeof dataset.SOPInstanceUID === 'string' ? dataset.SOPInstanceUID : original;
    return item(name, dataset, bytes, expectedStatus, { sopInstanceUid: uid, ...command });
  };
  const truncated = (name: string, fraction: (pixelStart: number, length: number) => number) => {
    const { dataset, bytes } = good();
    return item(name, dataset, bytes.subarray(0, Math.floor(fraction(pixelDataOffset(bytes) + 12, bytes.length))), DimseStatus.DatasetDoesNotMatchSopClass);
  };
  const cannot = DimseStatus.CannotUnderstand;
  const mismatch = DimseStatus.DatasetDoesNotMatchSopClass;
  const corpus: BadInput[] = [
    item('empty dataset', undefined, Buffer.alloc(0), cannot),
    item('2 random bytes', undefined, randomBytes(2), cannot),
    item('100 random bytes', undefined, randomBytes(100), cannot),
    item('64 KiB of random bytes', undefined, randomBytes(65536), cannot),
    item('2000 zero bytes', undefined, Buffer.alloc(2000), cannot),
    item('a Part 10 file (preamble and meta) sent as the dataset', undefined, await readFile(sliceFile), DimseStatus.DatasetDoesNotMatchSopClass),
  ];
  for (const [name, cut] of [
    ['header cut at 10 bytes', () => 10],
    ['header cut at 301 bytes', () => 301],
    ['header cut half way to PixelData', (start: number) => start / 2],
    ['cut just before PixelData', (start: number) => start - 12],
    ['cut inside the PixelData element header', (start: number) => start - 6],
  ] as [string, (start: number, length: number) => number][]) {
    const { dataset, bytes } = good();
    corpus.push(item(name, dataset, bytes.subarray(0, Math.floor(cut(pixelDataOffset(bytes) + 12, bytes.length))), name.startsWith('cut just') ? mismatch : cannot));
  }
  corpus.push(
    truncated('pixel data cut at 60 % (issue 9 item 2)', (start, length) => start + 0.6 * (length - start)),
    truncated('pixel data cut at 99 %', (start, length) => start + 0.99 * (length - start)),
    truncated('pixel data one byte short', (_start, length) => length - 1),
    truncated('pixel data cut at its first byte', (start) => start + 1),
  );
  {
    const { dataset, bytes } = good();
    const at = pixelDataOffset(bytes);
    const cut = Buffer.from(bytes.subarray(0, at + 12 + 1000));
    cut.writeUInt32LE(1000, at + 8);
    corpus.push(item('pixel data cut and its length rewritten to match', dataset, cut, mismatch));
  }
  corpus.push(
    modified('dataset SOPInstanceUID differs from the command', (d) => void (d.SOPInstanceUID = freshUid()), mismatch, { sopInstanceUid: freshUid() }),
    modified('dataset SOPClassUID (MR) differs from the command (CT)', (d) => void (d.SOPClassUID = SopClass.MrImageStorage), mismatch, { sopClassUid: CT }),
    modified('SOPInstanceUID with ../ (path traversal)', (d) => void (d.SOPInstanceUID = '1.2.3/../../../etc/passwd'), mismatch),
    modified('SOPInstanceUID with a slash', (d) => void (d.SOPInstanceUID = '1.2.3/4'), mismatch),

    modified('SOPInstanceUID with letters', (d) => void (d.SOPInstanceUID = '1.2.abc.4'), mismatch),
    modified('SOPInstanceUID with an empty component', (d) => void (d.SOPInstanceUID = '1.2..4'), mismatch),
    modified('SOPInstanceUID ending in a dot', (d) => void (d.SOPInstanceUID = '1.2.4.'), mismatch),
    modified('SOPInstanceUID with a NUL inside', (d) => void (d.SOPInstanceUID = '1.2\u00003.4'), mismatch),
    modified('SeriesInstanceUID with ../', (d) => void (d.SeriesInstanceUID = '../../spool'), mismatch),

    modified('StudyInstanceUID with a backslash (two values)', (d) => void (d.StudyInstanceUID = '1.2.3\\4.5.6'), mismatch),

    modified('no SOPInstanceUID', (d) => void delete d.SOPInstanceUID, mismatch),
    modified('no SOPClassUID', (d) => void delete d.SOPClassUID, mismatch, { sopClassUid: CT }),
    modified('no SeriesInstanceUID', (d) => void delete d.SeriesInstanceUID, mismatch),
    modified('no StudyInstanceUID', (d) => void delete d.StudyInstanceUID, mismatch),
    modified('empty SeriesInstanceUID', (d) => void (d.SeriesInstanceUID = ''), mismatch),
    modified('no PixelData', (d) => void delete d.PixelData, mismatch),
    modified('Rows 0', (d) => void (d.Rows = 0), mismatch),
    modified('Columns twice the pixel data', (d) => void (d.Columns = 1024), mismatch),
    modified('Rows half the pixel data', (d) => void (d.Rows = 256), mismatch),
    modified('BitsAllocated 12', (d) => void (d.BitsAllocated = 12), mismatch),
    modified('BitsAllocated 8 with 16-bit pixel data', (d) => void (d.BitsAllocated = 8), mismatch),
    modified('SamplesPerPixel 3 with one sample of pixel data', (d) => void (d.SamplesPerPixel = 3), mismatch),
    modified('NumberOfFrames 2 on one frame of pixel data', (d) => void (d.NumberOfFrames = 2), mismatch),
    modified('no Rows', (d) => void delete d.Rows, mismatch),
  );
  for (const [name, group, element, value] of [
    ['SOPInstanceUID of 65 characters', 0x0008, 0x0018, `1.${'2'.repeat(63)}`],
    ['SOPInstanceUID of 200 characters', 0x0008, 0x0018, `1.${'3'.repeat(198)}`],
    ['SeriesInstanceUID of 65 characters', 0x0020, 0x000e, `1.${'4'.repeat(63)}`],
    ['StudyInstanceUID of 100 characters', 0x0020, 0x000d, `1.${'5'.repeat(98)}`],
  ] as const) {
    const { dataset, bytes } = good();
    const changed = withElement(bytes, group, element, value);
    corpus.push(item(name, dataset, changed, mismatch, group === 0x0008 ? { sopInstanceUid: value } : {}));
  }
  {
    const { dataset, bytes } = good();
    corpus.push(item('Explicit VR dataset on an Implicit VR context', dataset, bytes, mismatch, { transferSyntaxUid: IMPLICIT }));
  }
  {
    const { dataset, bytes } = good();
    corpus.push(item('native pixel data on a JPEG lossless context', dataset, bytes, mismatch, { transferSyntaxUid: JPEG_LOSSLESS }));
  }
  {
    const { dataset, bytes } = good();
    const broken = Buffer.from(bytes);
    // The length of the first element after the group 0008 length: a value length far past the end.
    broken.writeUInt16LE(0xfff0, 6);
    corpus.push(item('an element length that runs past the end', dataset, broken, cannot));
  }
  {
    const compressed = datasetBytes(await readFile(compressedFile));
    const header = readPart10(toArrayBuffer(await readFile(compressedFile)), { untilTag: '7FE00010' });
    const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(header.dict);
    const uid = dataset.SOPInstanceUID as string;
    const at = compressed.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    corpus.push(
      { name: 'compressed pixel data cut in its fragment', sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: JPEG_LOSSLESS, dataset: compressed.subarray(0, Math.floor(compressed.length * 0.7)), expectedStatus: cannot },
      { name: 'compressed pixel data without its sequence delimiter', sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: JPEG_LOSSLESS, dataset: compressed.subarray(0, compressed.length - 8), expectedStatus: cannot },
      { name: 'compressed pixel data with no fragment', sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: JPEG_LOSSLESS, dataset: Buffer.concat([compressed.subarray(0, at + 12), Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0])]), expectedStatus: mismatch },
      { name: 'compressed pixel data cut after its offset table', sopClassUid: CT, sopInstanceUid: uid, transferSyntaxUid: JPEG_LOSSLESS, dataset: compressed.subarray(0, at + 12 + 8), expectedStatus: cannot },
    );
  }
  return corpus;
}
