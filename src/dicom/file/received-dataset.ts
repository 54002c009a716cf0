import { readFile } from 'node:fs/promises';
import dicomParser, { type DataSet } from 'dicom-parser';
import { InvalidInputError } from '../../errors.js';
import { dicomParserMessage } from './dicom-parser-error.js';
import { DimseStatus } from '../dimse-status.js';
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from '../uids.js';
import { isReceivedUid } from '../../validation.js';

/** A received dataset that must not be stored, and the C-STORE status that says why. */
export class RejectedDatasetError extends InvalidInputError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface ReceivedDataset {
  /** The Part 10 file as written (our file meta, then the dataset as received). */
  readonly path: string;
  readonly sizeBytes: number;
  /** Its first bytes, kept while they streamed in; the file is read only when the header runs past them. */
  readonly prefix: Buffer;
  /** What the C-STORE request said the dataset is. */
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
}

const TAGS = {
  sopClassUid: 'x00080016',
  sopInstanceUid: 'x00080018',
  studyInstanceUid: 'x0020000d',
  seriesInstanceUid: 'x0020000e',
  rows: 'x00280010',
  columns: 'x00280011',
  samplesPerPixel: 'x00280002',
  bitsAllocated: 'x00280100',
  numberOfFrames: 'x00280008',
  pixelData: 'x7fe00010',
} as const;

/**
 * Checks a received instance before the node answers Success: the dataset parses, its identifying
 * UIDs are there and valid (they become file names), they agree with the C-STORE request, and its
 * pixel data is all there: rows x columns x samples x frames x bits of native data inside the file,
 * or for compressed data an encapsulated sequence that ends, with a fragment per frame. Throws a
 * RejectedDatasetError naming the problem and the status to answer; the caller stores nothing.
 */
export async function checkReceivedDataset(received: ReceivedDataset): Promise<void> {
  const compressed = !UNCOMPRESSED_TRANSFER_SYNTAXES.includes(received.transferSyntaxUid);
  const dataSet = compressed ? parse(await readFile(received.path), false) : parseHeader(received) ?? parse(await readFile(received.path), true);
  const text = (tag: string) => dataSet.string(tag)?.trim() ?? '';
  for (const [name, tag] of [
    ['SOPClassUID', TAGS.sopClassUid],
    ['SOPInstanceUID', TAGS.sopInstanceUid],
    ['StudyInstanceUID', TAGS.studyInstanceUid],
    ['SeriesInstanceUID', TAGS.seriesInstanceUid],
  ] as const) {
    const value = text(tag);
    if (value === '') throw new RejectedDatasetError(`dataset lacks ${name}`, DimseStatus.DatasetDoesNotMatchSopClass);
    if (!isReceivedUid(value)) {
      throw new RejectedDatasetError(`${name} is not a valid UID: ${JSON.stringify(value.slice(0, 80))}`, DimseStatus.DatasetDoesNotMatchSopClass);
    }
  }
  if (text(TAGS.sopInstanceUid) !== received.sopInstanceUid) {
    throw new RejectedDatasetError(
      `the dataset's SOPInstanceUID ${text(TAGS.sopInstanceUid)} differs from the request's Affected SOP Instance UID ${received.sopInstanceUid}`,
      DimseStatus.DatasetDoesNotMatchSopClass,
    );
  }
  if (text(TAGS.sopClassUid) !== received.sopClassUid) {
    throw new RejectedDatasetError(
      `the dataset's SOPClassUID ${text(TAGS.sopClassUid)} differs from the request's Affected SOP Class UID ${received.sopClassUid}`,
      DimseStatus.DatasetDoesNotMatchSopClass,
    );
  }
  checkPixelData(dataSet, received, compressed);
}

/** The header from the prefix kept in memory, or undefined when it does not reach PixelData. */
function parseHeader(received: ReceivedDataset): DataSet | undefined {
  if (received.prefix.length >= received.sizeBytes) return parse(received.prefix, true);
  try {
    const dataSet = dicomParser.parseDicom(received.prefix, { untilTag: TAGS.pixelData });
    return dataSet.elements[TAGS.pixelData] ? dataSet : undefined;
  } catch {
    return undefined;
  }
}

function parse(bytes: Uint8Array, untilPixelData: boolean): DataSet {
  try {
    return dicomParser.parseDicom(bytes, untilPixelData ? { untilTag: TAGS.pixelData } : {});
  } catch (thrown) {
    throw new RejectedDatasetError(`the dataset cannot be parsed: ${dicomParserMessage(thrown)}`, DimseStatus.CannotUnderstand);
  }
}

function checkPixelData(dataSet: DataSet, received: ReceivedDataset, compressed: boolean): void {
  const element = dataSet.elements[TAGS.pixelData];
  const reject = (message: string) => {
    throw new RejectedDatasetError(message, DimseStatus.DatasetDoesNotMatchSopClass);
  };
  if (!element) return reject('the dataset has no PixelData');
  const rows = dataSet.uint16(TAGS.rows) ?? 0;
  const columns = dataSet.uint16(TAGS.columns) ?? 0;
  const samples = dataSet.uint16(TAGS.samplesPerPixel) ?? 1;
  const bits = dataSet.uint16(TAGS.bitsAllocated) ?? 0;
  const frames = Number(dataSet.string(TAGS.numberOfFrames) ?? 1) || 1;
  if (rows === 0 || columns === 0 || ![8, 16, 32].includes(bits)) {
    return reject(`Rows ${rows}, Columns ${columns}, BitsAllocated ${bits} do not describe an image`);
  }
  if (compressed) {
    const fragments = element.fragments ?? [];
    if (element.encapsulatedPixelData !== true || fragments.length < frames || fragments.some((fragment) => fragment.length === 0)) {
      return reject(`compressed PixelData holds ${fragments.length} fragments for ${frames} frames`);
    }
    if (element.length === 0xffffffff || (dataSet.warnings ?? []).length > 0) {
      throw new RejectedDatasetError('compressed PixelData ends without its sequence delimiter (truncated)', DimseStatus.CannotUnderstand);
    }
    return;
  }
  const expected = (rows * columns * samples * frames * bits) / 8;
  if (element.length !== expected && element.length !== expected + 1) {
    return reject(`PixelData has ${element.length} bytes; ${rows} x ${columns} x ${samples} x ${frames} frames x ${bits} bits make ${expected}`);
  }
  if (element.dataOffset + element.length > received.sizeBytes) {
    return reject(`PixelData ends ${element.dataOffset + element.length - received.sizeBytes} bytes past the end of the dataset (truncated)`);
  }
}
