import { InvalidInputError } from '../../errors.js';
import { readHeaderBytes } from './header-bytes.js';
import { parseIndexTags, type IndexKeyword, type ParsedIndexTags } from './index-tags.js';

/** The header keywords the index keeps per series: what rules match on and what people see. */
export const seriesHeaderKeywords = [
  'PatientID',
  'PatientName',
  'AccessionNumber',
  'StudyDate',
  'StudyDescription',
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
  'ProtocolName',
  'SeriesNumber',
  'ImageType',
  'DerivationDescription',
  'FrameOfReferenceUID',
  'AcquisitionNumber',
  'AcquisitionTime',
] as const satisfies readonly IndexKeyword[];

export interface IndexHeader {
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

/**
 * The header of a received Part 10 file, as the index keeps it, with its identifying UIDs checked.
 * Only its first bytes are read when the header ends inside them: the pixel data is not needed.
 */
export async function readIndexHeader(path: string): Promise<IndexHeader> {
  const { dataset, meta } = parseIndexTags((await readHeaderBytes(path)).dataSet);
  const required = (keyword: IndexKeyword): string => {
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
function slicePosition(dataset: ParsedIndexTags['dataset']): number | null {
  const position = dataset.ImagePositionPatient;
  const orientation = dataset.ImageOrientationPatient;
  if ((Number(dataset.NumberOfFrames) || 1) > 1 || !Array.isArray(position) || !Array.isArray(orientation)) return null;
  if (position.length !== 3 || orientation.length !== 6 || [...position, ...orientation].some((v) => !Number.isFinite(v))) return null;
  const [rx, ry, rz, cx, cy, cz] = orientation as number[];
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  return (position as number[]).reduce((sum, value, k) => sum + value * normal[k], 0);
}
