import { readFile } from 'node:fs/promises';
import { dcmjs, PIXEL_DATA_TAG, readPart10, toArrayBuffer } from '../imaging/dcmjs.js';
import { InvalidInputError } from '../errors.js';

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
] as const;

export interface InstanceHeader {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  /** Series-level tags by keyword (see seriesHeaderKeywords), as dcmjs naturalizes them. */
  seriesTags: Record<string, unknown>;
}

/** Parses a received Part 10 file up to its pixel data and checks the identifying UIDs. */
export async function readInstanceHeader(path: string): Promise<InstanceHeader> {
  const bytes = await readFile(path);
  let dataset: Record<string, unknown>;
  try {
    const dicomDict = readPart10(toArrayBuffer(bytes), { untilTag: PIXEL_DATA_TAG });
    dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dicomDict.dict);
  } catch (error) {
    throw new InvalidInputError(`cannot parse DICOM header: ${(error as Error).message}`, error);
  }
  const required = (keyword: string): string => {
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
    seriesTags,
  };
}
