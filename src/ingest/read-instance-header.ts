import { open, readFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { parseHeaderTags, type HeaderKeyword, type ParsedHeader } from './parse-header-tags.js';

/** The header keywords the index keeps per series: what rules match on and what people see. */
export const seriesHeaderKeywords = [
  'PatientID',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'Modality',
  'Manufacturer',
  'ManufacturerModelName',
  'ConvolutionKernel',
  'Rows',
  'Columns',
  'PixelSpacing',
  'SliceThickness',
  'BodyPartExamined',
  'SeriesDescription',
  'SeriesNumber',
  'ImageType',
  'DerivationDescription',
] as const satisfies readonly HeaderKeyword[];

export interface InstanceHeader {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  transferSyntaxUid: string;
  /** SourceApplicationEntityTitle of the file meta: the AE that sent it to us. */
  sourceAeTitle: string | undefined;
  /** Series-level tags by keyword (see seriesHeaderKeywords), as dcmjs naturalizes them. */
  seriesTags: Record<string, unknown>;
  /** ImagePositionPatient along the slice normal (mm); null for multi-frame objects or without geometry. */
  slicePosition: number | null;
}

/** Headers end well before this in CT files; a longer one is read again in full. */
export const HEADER_PREFIX_BYTES = 32 * 1024;

/**
 * Parses a received Part 10 file up to its pixel data and checks the identifying UIDs. Only the
 * first bytes are read and parsed when the header ends inside them: the pixel data is not needed.
 */
export async function readInstanceHeader(path: string): Promise<InstanceHeader> {
  const prefix = await readPrefix(path, HEADER_PREFIX_BYTES);
  const { dataset, meta } =
    (prefix.wholeFile ? undefined : parseHeader(prefix.bytes, false)) ??
    parseHeader(prefix.wholeFile ? prefix.bytes : await readFile(path), true)!;
  const required = (keyword: HeaderKeyword): string => {
    const value = dataset[keyword];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidInputError(`instance lacks ${keyword}`);
    }
    return value.trim();
  };
  const seriesTags: Record<string, unknown> = {};
  for (const keyword of seriesHeaderKeywords) {
    if (dataset[keyword] !== undefined) seriesTags[keyword] = dataset[keyword];
  }
  const instanceNumber = Number(dataset.InstanceNumber);
  return {
    studyInstanceUid: required('StudyInstanceUID'),
    seriesInstanceUid: required('SeriesInstanceUID'),
    sopInstanceUid: required('SOPInstanceUID'),
    sopClassUid: required('SOPClassUID'),
    instanceNumber: Number.isFinite(instanceNumber) ? instanceNumber : null,
    transferSyntaxUid: String(meta.TransferSyntaxUID ?? ''),
    sourceAeTitle: typeof meta.SourceApplicationEntityTitle === 'string' ? meta.SourceApplicationEntityTitle.trim() : undefined,
    seriesTags,
    slicePosition: slicePosition(dataset),
  };
}

/** The position of a single-frame slice along the normal of its orientation. */
function slicePosition(dataset: ParsedHeader['dataset']): number | null {
  const position = dataset.ImagePositionPatient;
  const orientation = dataset.ImageOrientationPatient;
  if ((Number(dataset.NumberOfFrames) || 1) > 1 || !Array.isArray(position) || !Array.isArray(orientation)) return null;
  if (position.length !== 3 || orientation.length !== 6 || [...position, ...orientation].some((v) => !Number.isFinite(v))) return null;
  const [rx, ry, rz, cx, cy, cz] = orientation as number[];
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  return (position as number[]).reduce((sum, value, k) => sum + value * normal[k], 0);
}

/**
 * Parses the dataset up to PixelData. With a prefix of the file, a parse that fails or does not
 * reach PixelData (the header goes on past the prefix) returns undefined; with the whole file it
 * throws a clear InvalidInputError.
 */
function parseHeader(bytes: Buffer, wholeFile: boolean): ParsedHeader | undefined {
  try {
    const parsed = parseHeaderTags(bytes);
    return wholeFile || parsed.reachedPixelData ? parsed : undefined;
  } catch (error) {
    if (!wholeFile) return undefined;
    throw new InvalidInputError(`cannot parse DICOM header: ${(error as Error).message}`, error);
  }
}

/** The first `length` bytes of a file, and whether that was all of it. */
export async function readPrefix(path: string, length: number): Promise<{ bytes: Buffer; wholeFile: boolean }> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return { bytes: buffer.subarray(0, bytesRead), wholeFile: bytesRead < length };
  } finally {
    await handle.close();
  }
}
