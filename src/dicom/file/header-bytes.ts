import { open, readFile } from 'node:fs/promises';
import dicomParser, { type DataSet } from 'dicom-parser';
import { InvalidInputError } from '../../errors.js';
import { dicomParserMessage } from './dicom-parser-error.js';

/** CT headers end well before this; a longer one (a multi-frame object's groups) is read whole. */
export const HEADER_PREFIX_BYTES = 64 * 1024;
export const PIXEL_DATA = 'x7fe00010';

/** A file's bytes up to its pixel data, and where that pixel data is. */
export interface HeaderBytes {
  /** The first bytes of the file, or all of it: every element before PixelData is inside. */
  readonly bytes: Buffer;
  readonly wholeFile: boolean;
  /** dicom-parser's index of the elements up to PixelData (values are decoded when asked for). */
  readonly dataSet: DataSet;
  /** Where PixelData's value starts in the file, and its length (0xFFFFFFFF: encapsulated, undefined length). */
  readonly pixelData: { readonly offset: number; readonly length: number };
}

/** The first `length` bytes of a file, and whether that was all of it. */
export async function readPrefix(path: string, length = HEADER_PREFIX_BYTES): Promise<{ bytes: Buffer; wholeFile: boolean }> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return { bytes: buffer.subarray(0, bytesRead), wholeFile: bytesRead < length };
  } finally {
    await handle.close();
  }
}

/**
 * The one reader of DICOM headers: reads a prefix, parses it (dicom-parser, up to PixelData), and
 * only when the header goes on past the prefix reads the whole file. Both the index (at receive
 * time) and the series loader (per job) start from what it returns, so each reads the header
 * bytes once and knows where the pixel data lies without parsing the file again.
 */
export async function readHeaderBytes(path: string): Promise<HeaderBytes> {
  const prefix = await readPrefix(path);
  if (!prefix.wholeFile) {
    const parsed = tryParse(prefix.bytes);
    if (parsed) return { ...prefix, ...parsed };
  }
  const bytes = prefix.wholeFile ? prefix.bytes : await readFile(path);
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, { untilTag: PIXEL_DATA });
  } catch (thrown) {
    throw new InvalidInputError(`${path}: cannot parse DICOM header: ${dicomParserMessage(thrown)}`, thrown);
  }
  const element = dataSet.elements[PIXEL_DATA];
  if (!element) throw new InvalidInputError(`${path}: has no PixelData (7FE0,0010)`);
  return { bytes, wholeFile: true, dataSet, pixelData: { offset: element.dataOffset, length: element.length } };
}

/** A parse of a prefix that reached PixelData, or undefined (the header goes on past the prefix). */
function tryParse(bytes: Buffer): Omit<HeaderBytes, 'bytes' | 'wholeFile'> | undefined {
  try {
    const dataSet = dicomParser.parseDicom(bytes, { untilTag: PIXEL_DATA });
    const element = dataSet.elements[PIXEL_DATA];
    return element ? { dataSet, pixelData: { offset: element.dataOffset, length: element.length } } : undefined;
  } catch {
    return undefined;
  }
}
