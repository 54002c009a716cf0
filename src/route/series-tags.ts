import { InvalidInputError } from '../errors.js';

/** The tags of one series that rules can match on, as plain values. */
export interface SeriesTags {
  seriesInstanceUid: string;
  modality?: string;
  /** Every ConvolutionKernel value, trimmed, backslash-joined values split ('Br40d\3' -> ['Br40d', '3']). */
  convolutionKernel?: string[];
  rows?: number;
  columns?: number;
  /** Millimetres. */
  sliceThickness?: number;
  manufacturer?: string;
  /** ManufacturerModelName: with the manufacturer and kernel, what a kernel calibration is for. */
  modelName?: string;
  bodyPartExamined?: string;
  seriesDescription?: string;
  protocolName?: string;
  studyDescription?: string;
  /** The AE title of the peer that sent the series to us. */
  callingAeTitle?: string;
  imageType?: string[];
  /** True for a series this node wrote itself: it is never routed again (loop prevention). */
  derivedByNode: boolean;
}

type Header = Record<string, unknown>;

function firstValue(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function optionalString(header: Header, keyword: string): string | undefined {
  const value = firstValue(header[keyword]);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new InvalidInputError(`${keyword}: expected a string, got ${JSON.stringify(value)}`);
  }
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

function optionalStrings(header: Header, keyword: string): string[] | undefined {
  const value = header[keyword];
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'string')) {
    throw new InvalidInputError(`${keyword}: expected strings, got ${JSON.stringify(value)}`);
  }
  const values = (list as string[])
    .flatMap((item) => item.split('\\'))
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return values.length === 0 ? undefined : values;
}

/** A number from an US/IS/DS value; dcmjs gives numbers, other readers may give numeric strings. */
function optionalNumber(header: Header, keyword: string): number | undefined {
  const value = firstValue(header[keyword]);
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return undefined;
  }
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(number)) {
    throw new InvalidInputError(`${keyword}: expected a number, got ${JSON.stringify(value)}`);
  }
  return number;
}

/**
 * Builds the matcher's input from a dcmjs-naturalized header (tag keywords as keys) of any one
 * instance of the series; `ownOutput` says whether the node derived it (see own-output.ts).
 */
export function seriesTagsFromHeader(header: Record<string, unknown>, callingAeTitle: string | undefined, ownOutput: boolean): SeriesTags {
  const seriesInstanceUid = optionalString(header, 'SeriesInstanceUID');
  if (seriesInstanceUid === undefined) {
    throw new InvalidInputError('SeriesInstanceUID (0020,000E) is missing from the header');
  }
  const aeTitle = callingAeTitle?.trim();
  return {
    seriesInstanceUid,
    modality: optionalString(header, 'Modality'),
    convolutionKernel: optionalStrings(header, 'ConvolutionKernel'),
    rows: optionalNumber(header, 'Rows'),
    columns: optionalNumber(header, 'Columns'),
    sliceThickness: optionalNumber(header, 'SliceThickness'),
    manufacturer: optionalString(header, 'Manufacturer'),
    modelName: optionalString(header, 'ManufacturerModelName'),
    bodyPartExamined: optionalString(header, 'BodyPartExamined'),
    seriesDescription: optionalString(header, 'SeriesDescription'),
    protocolName: optionalString(header, 'ProtocolName'),
    studyDescription: optionalString(header, 'StudyDescription'),
    callingAeTitle: aeTitle === '' ? undefined : aeTitle,
    imageType: optionalStrings(header, 'ImageType'),
    derivedByNode: ownOutput,
  };
}
