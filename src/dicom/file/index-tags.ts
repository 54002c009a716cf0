import type { DataSet } from 'dicom-parser';

/**
 * The few header elements ingest needs, read with dicom-parser: it indexes element offsets and
 * decodes only what is asked for, 9-12x faster per instance than dcmjs, which decodes and
 * naturalizes every element (`npm run bench:header`: 0.10-0.11 vs 0.88-1.25 ms on the 269-slice CT). Values come out as dcmjs
 * naturalizes them (a single value bare, several as an array; DS, IS and US as numbers), because
 * the index and the rules have always stored and matched that form; a test holds the two equal on
 * every series in the shared data.
 */
type ValueKind = 'string' | 'number' | 'uint16' | 'person-name';

export interface IndexTag {
  readonly tag: string;
  readonly kind: ValueKind;
  /** What dcmjs naturalizes an empty value of this tag to, where that is not "no values" (SH and LO give ''). */
  readonly empty?: '';
}


export const INDEX_TAGS = {
  PatientID: { tag: 'x00100020', kind: 'string' },
  PatientName: { tag: 'x00100010', kind: 'person-name' },
  AccessionNumber: { tag: 'x00080050', kind: 'string', empty: '' },
  StudyDate: { tag: 'x00080020', kind: 'string' },
  StudyDescription: { tag: 'x00081030', kind: 'string' },
  StudyInstanceUID: { tag: 'x0020000d', kind: 'string' },
  SeriesInstanceUID: { tag: 'x0020000e', kind: 'string' },
  SOPInstanceUID: { tag: 'x00080018', kind: 'string' },
  SOPClassUID: { tag: 'x00080016', kind: 'string' },
  InstanceNumber: { tag: 'x00200013', kind: 'number' },
  Modality: { tag: 'x00080060', kind: 'string' },
  Manufacturer: { tag: 'x00080070', kind: 'string' },
  ManufacturerModelName: { tag: 'x00081090', kind: 'string' },
  ConvolutionKernel: { tag: 'x00181210', kind: 'string' },
  Rows: { tag: 'x00280010', kind: 'uint16' },
  Columns: { tag: 'x00280011', kind: 'uint16' },
  PixelSpacing: { tag: 'x00280030', kind: 'number' },
  SliceThickness: { tag: 'x00180050', kind: 'number' },
  BodyPartExamined: { tag: 'x00180015', kind: 'string' },
  SeriesDescription: { tag: 'x0008103e', kind: 'string' },
  ProtocolName: { tag: 'x00181030', kind: 'string', empty: '' },
  SeriesNumber: { tag: 'x00200011', kind: 'number' },
  ImageType: { tag: 'x00080008', kind: 'string' },
  DerivationDescription: { tag: 'x00082111', kind: 'string' },
  ImagePositionPatient: { tag: 'x00200032', kind: 'number' },
  ImageOrientationPatient: { tag: 'x00200037', kind: 'number' },
  NumberOfFrames: { tag: 'x00280008', kind: 'number' },
  // What ties two reconstructions of one acquisition together (calibrate/natural-pair.ts).
  FrameOfReferenceUID: { tag: 'x00200052', kind: 'string' },
  AcquisitionNumber: { tag: 'x00200012', kind: 'number' },
  AcquisitionTime: { tag: 'x00080032', kind: 'string' },
} as const satisfies Record<string, IndexTag>;

const META_TAGS = {
  TransferSyntaxUID: { tag: 'x00020010', kind: 'string' },
  SourceApplicationEntityTitle: { tag: 'x00020016', kind: 'string' },
} as const satisfies Record<string, IndexTag>;

export type IndexKeyword = keyof typeof INDEX_TAGS;

export interface ParsedIndexTags {
  dataset: Partial<Record<IndexKeyword, unknown>>;
  meta: Partial<Record<keyof typeof META_TAGS, unknown>>;
}

/** The index's tags from a header parsed up to PixelData (header-bytes.ts). */
export function parseIndexTags(dataSet: DataSet): ParsedIndexTags {
  return {
    dataset: { ...groupedRoutingTags(dataSet), ...readTags(dataSet, INDEX_TAGS) },
    meta: readTags(dataSet, META_TAGS),
  };
}

/**
 * Enhanced CT keeps the kernel, pixel spacing and slice thickness in functional groups (shared by
 * all frames, or per frame: the first frame's stand for the series). Routing needs only these; the
 * loader flattens every frame's groups (image-headers.ts, frameHeaders).
 */
const FUNCTIONAL_GROUPS = { shared: 'x52009229', perFrame: 'x52009230' };
const GROUPED_TAGS: Array<{ macro: string; keywords: IndexKeyword[] }> = [
  { macro: 'x00189314', keywords: ['ConvolutionKernel'] }, // CT Reconstruction
  { macro: 'x00289110', keywords: ['PixelSpacing', 'SliceThickness'] }, // Pixel Measures
];

function groupedRoutingTags(dataSet: DataSet): Partial<Record<IndexKeyword, unknown>> {
  const groups = [FUNCTIONAL_GROUPS.shared, FUNCTIONAL_GROUPS.perFrame].map((tag) => dataSet.elements[tag]?.items?.[0]?.dataSet);
  const values: Partial<Record<IndexKeyword, unknown>> = {};
  for (const { macro, keywords } of GROUPED_TAGS) {
    const item = groups.map((group) => group?.elements[macro]?.items?.[0]?.dataSet).find((found) => found !== undefined);
    if (!item) continue;
    const tags = Object.fromEntries(keywords.map((keyword) => [keyword, INDEX_TAGS[keyword]])) as Record<IndexKeyword, IndexTag>;
    Object.assign(values, readTags(item, tags));
  }
  return values;
}

function readTags<K extends string>(dataSet: DataSet, tags: Record<K, IndexTag>): Partial<Record<K, unknown>> {
  const values: Partial<Record<K, unknown>> = {};
  for (const [keyword, spec] of Object.entries(tags) as [K, IndexTag][]) {
    const element = dataSet.elements[spec.tag];
    if (element === undefined) continue;
    const found = valuesOf(dataSet, spec, element.length);
    // dcmjs reads an empty IS or DS as null, an empty string as no values, and each person name as its groups.
    if (spec.kind === 'person-name') values[keyword] = found.map((name) => personName(String(name)));
    else if (found.length === 0 && spec.empty !== undefined) values[keyword] = spec.empty;
    else values[keyword] = found.length === 0 && spec.kind === 'number' ? null : naturalized(found);
  }
  return values;
}

function valuesOf(dataSet: DataSet, spec: IndexTag, length: number): Array<string | number> {
  if (spec.kind === 'uint16') {
    return Array.from({ length: length / 2 }, (_, index) => dataSet.uint16(spec.tag, index) as number);
  }
  const text = dataSet.string(spec.tag) ?? '';
  if (text === '') return [];
  const parts = text.split('\\').map((part) => part.trim());
  return spec.kind === 'number' ? parts.map(Number) : parts;
}

/** A PN value as dcmjs naturalizes it: its alphabetic, ideographic and phonetic groups (split at '='). */
function personName(value: string): Record<string, string> {
  const groups = value.split('=');
  const names: Record<string, string> = {};
  ['Alphabetic', 'Ideographic', 'Phonetic'].forEach((group, index) => {
    if (groups[index] !== undefined && (index === 0 || groups[index] !== '')) names[group] = groups[index];
  });
  return names;
}

/** dcmjs's naturalizeDataset: one value bare, none or several as an array. */
function naturalized(values: Array<string | number>): unknown {
  return values.length === 1 ? values[0] : values;
}
