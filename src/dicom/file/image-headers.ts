import { InvalidInputError } from '../../errors.js';
import { dcmjs, PIXEL_DATA_TAG, readPart10, TRANSFER_SYNTAX_TAG, toArrayBuffer, type DicomDict, type NaturalDataset } from './dcmjs.js';
import { readHeaderBytes } from './header-bytes.js';
import { pixelFormatOf, type PixelFormat } from './pixel-format.js';

/** A point in DICOM patient coordinates (mm). */
export type Point3 = readonly [number, number, number];

/** What one file says about itself, read from its header without its pixel data. */
export interface ImageHeader {
  readonly path: string;
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly rows: number;
  readonly columns: number;
  readonly pixelSpacing: readonly [number, number];
  /** ImageOrientationPatient: row direction then column direction. */
  readonly orientation: readonly [number, number, number, number, number, number];
  readonly position: Point3;
  readonly samplesPerPixel: number;
  readonly photometricInterpretation: string;
  readonly pixelFormat: PixelFormat;
  /** The naturalized dataset without PixelData, for copying tags into derived series; for a frame
   * of a multi-frame object, its functional groups are flattened into the classic tags. */
  readonly header: NaturalDataset;
  /** 1-based frame of a multi-frame (Enhanced CT) object, and its frame count; absent for CT Image. */
  readonly frame?: { readonly number: number; readonly count: number };
  /** Where the file's PixelData value starts and its length (0xFFFFFFFF: encapsulated), so pixels are read without parsing again. */
  readonly pixelData: { readonly offset: number; readonly length: number };
}

/** One header per image: one for a CT Image file, one per frame for an Enhanced CT file. */
export async function readImageHeaders(path: string): Promise<ImageHeader[]> {
  const headerBytes = await readHeaderBytes(path);
  let dicomDict: DicomDict;
  try {
    dicomDict = readPart10(toArrayBuffer(headerBytes.bytes), { untilTag: PIXEL_DATA_TAG });
  } catch (error) {
    throw new InvalidInputError(`${path}: not a readable DICOM Part 10 file (${(error as Error).message})`, error);
  }
  const transferSyntaxUid = String(dicomDict.meta[TRANSFER_SYNTAX_TAG]?.Value?.[0] ?? '');
  const header = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dicomDict.dict);
  delete header.PixelData;
  const vrMap = header._vrMap as Record<string, unknown> | undefined;
  if (vrMap) delete vrMap.PixelData;
  const sopClassUid = stringTag(header, 'SOPClassUID', path);
  const located = { pixelData: headerBytes.pixelData };
  if (!MULTI_FRAME_CT_CLASSES[sopClassUid]) return [{ ...describeInstance(path, transferSyntaxUid, header), ...located }];
  const frames = frameHeaders(header, path);
  return frames.map((frameHeader, index) => ({
    ...describeInstance(path, transferSyntaxUid, frameHeader, `${path} frame ${index + 1}`),
    frame: { number: index + 1, count: frames.length },
    ...located,
  }));
}

/** The header of a single-frame CT Image file. */
export async function readImageHeader(path: string): Promise<ImageHeader> {
  const headers = await readImageHeaders(path);
  if (headers.length !== 1) throw new InvalidInputError(`${path}: has ${headers.length} frames, one expected`);
  return headers[0];
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const MULTI_FRAME_CT_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.2.1': 'Enhanced CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.2.2': 'Legacy Converted Enhanced CT Image Storage',
};

/** Checked before geometry. */
function refuseUnsupportedClass(header: NaturalDataset, where: string): void {
  const sopClassUid = stringTag(header, 'SOPClassUID', where);
  if (MULTI_FRAME_CT_CLASSES[sopClassUid]) return; // frames already flattened by frameHeaders
  if (sopClassUid !== CT_IMAGE_STORAGE) {
    throw new InvalidInputError(`${where}: SOP class ${sopClassUid} is not CT Image Storage (${CT_IMAGE_STORAGE}) or Enhanced CT`);
  }
  const frames = optionalNumber(header, 'NumberOfFrames') ?? 1;
  if (frames > 1) throw new InvalidInputError(`${where}: CT Image Storage with NumberOfFrames ${frames}; only Enhanced CT may have frames`);
}

/** dcmjs gives a sequence as an array of items (or, in some versions, a lone item bare). */
function firstItem(value: unknown): NaturalDataset | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  return item !== null && typeof item === 'object' ? (item as NaturalDataset) : undefined;
}

function items(value: unknown): NaturalDataset[] {
  if (Array.isArray(value)) return value as NaturalDataset[];
  return value !== null && typeof value === 'object' ? [value as NaturalDataset] : [];
}

/**
 * An Enhanced CT object keeps each frame's geometry, pixel value transformation and reconstruction
 * in functional groups (per frame, or shared by all). Each frame becomes a header shaped like a CT
 * Image one, so that sorting, geometry checks and derived series treat frames as slices.
 */
function frameHeaders(header: NaturalDataset, where: string): NaturalDataset[] {
  const count = optionalNumber(header, 'NumberOfFrames') ?? 1;
  const perFrame = items(header.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== count) {
    throw new InvalidInputError(`${where}: NumberOfFrames ${count} but ${perFrame.length} items in PerFrameFunctionalGroupsSequence`);
  }
  const shared = firstItem(header.SharedFunctionalGroupsSequence) ?? {};
  const { SharedFunctionalGroupsSequence: _shared, PerFrameFunctionalGroupsSequence: _perFrame, NumberOfFrames: _count, ...common } = header;
  return perFrame.map((frame) => {
    const group = (name: string): NaturalDataset => firstItem(frame[name]) ?? firstItem(shared[name]) ?? {};
    const measures = group('PixelMeasuresSequence');
    const transform = group('PixelValueTransformationSequence');
    const reconstruction = group('CTReconstructionSequence');
    const defined = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
    return {
      ...common,
      ...defined({
        PixelSpacing: measures.PixelSpacing,
        SliceThickness: measures.SliceThickness,
        ImageOrientationPatient: group('PlaneOrientationSequence').ImageOrientationPatient,
        ImagePositionPatient: group('PlanePositionSequence').ImagePositionPatient,
        RescaleIntercept: transform.RescaleIntercept,
        RescaleSlope: transform.RescaleSlope,
        RescaleType: transform.RescaleType,
        ConvolutionKernel: reconstruction.ConvolutionKernel,
      }),
    };
  });
}

function describeInstance(path: string, transferSyntaxUid: string, header: NaturalDataset, where = path): Omit<ImageHeader, 'pixelData'> {
  refuseUnsupportedClass(header, where);
  return {
    path,
    transferSyntaxUid,
    sopClassUid: stringTag(header, 'SOPClassUID', where),
    sopInstanceUid: stringTag(header, 'SOPInstanceUID', where),
    seriesInstanceUid: stringTag(header, 'SeriesInstanceUID', where),
    rows: numbers(header, 'Rows', 1, where)[0],
    columns: numbers(header, 'Columns', 1, where)[0],
    pixelSpacing: numbers(header, 'PixelSpacing', 2, where) as [number, number],
    orientation: numbers(header, 'ImageOrientationPatient', 6, where) as [number, number, number, number, number, number],
    position: numbers(header, 'ImagePositionPatient', 3, where) as unknown as Point3,
    samplesPerPixel: optionalNumber(header, 'SamplesPerPixel') ?? 1,
    photometricInterpretation: String(header.PhotometricInterpretation ?? ''),
    pixelFormat: pixelFormatOf(header, where),
    header,
  };
}

function stringTag(header: NaturalDataset, keyword: string, where: string): string {
  const value = header[keyword];
  if (typeof value !== 'string' || value === '') throw new InvalidInputError(`${where}: missing ${keyword}`);
  return value;
}

function numbers(header: NaturalDataset, keyword: string, count: number, where: string): number[] {
  const raw = header[keyword];
  const values = (Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === '' ? [] : [raw]).map(Number);
  if (values.length === 0) throw new InvalidInputError(`${where}: missing ${keyword}`);
  if (values.length !== count || values.some((v) => !Number.isFinite(v))) {
    throw new InvalidInputError(`${where}: ${keyword} must be ${count} numbers, got ${JSON.stringify(raw)}`);
  }
  return values;
}

function optionalNumber(header: NaturalDataset, keyword: string): number | undefined {
  const raw = header[keyword];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(value) ? value : undefined;
}
