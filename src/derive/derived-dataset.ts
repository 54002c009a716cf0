import { dot, sliceNormal, type SeriesGeometry } from '../imaging/geometry.js';
import type { PixelFormat } from '../imaging/hounsfield.js';
import { dicomDate, dicomTime, fitText, hasNonAscii, VR_LIMIT } from './dicom-values.js';

type Dataset = Record<string, unknown>;

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** What every instance of one derived series shares. */
export interface DerivedSeriesFacts {
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly seriesDescription: string;
  readonly derivationDescription: string;
  readonly imageComments: string;
  readonly nodeName: string;
  readonly created: Date;
  readonly geometry: SeriesGeometry;
}

/** What one derived instance needs beyond the series facts. */
export interface DerivedSliceFacts {
  readonly index: number;
  readonly sopInstanceUid: string;
  /** The source slice this one was computed from (nearest along the normal). */
  readonly source: { readonly header: Dataset; readonly sopClassUid: string; readonly sopInstanceUid: string; readonly frameNumber?: number };
  readonly pixelFormat: PixelFormat;
  readonly storedPixels: Int16Array | Uint16Array;
}

/** Copies the named attributes that the source has; Type 2 ones are written empty when it lacks them. */
function copy(source: Dataset, keywords: readonly string[], type2: readonly string[] = []): Dataset {
  const out: Dataset = {};
  for (const keyword of keywords) {
    const value = source[keyword];
    if (value !== undefined && value !== null) out[keyword] = value;
    else if (type2.includes(keyword)) out[keyword] = '';
  }
  return out;
}

// Patient module (C.7.1.1), the identifying part only, plus the de-identification record.
const patientModule = (source: Dataset): Dataset =>
  copy(
    source,
    ['PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex', 'PatientIdentityRemoved', 'DeidentificationMethod', 'DeidentificationMethodCodeSequence'],
    ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex'],
  );

// General Study module (C.7.2.1) and Patient Study module (C.7.2.2).
const studyModules = (source: Dataset): Dataset => ({
  ...copy(
    source,
    ['StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'StudyDescription'],
    ['StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber'],
  ),
  ...copy(source, ['PatientAge', 'PatientSize', 'PatientWeight']),
});

// General Series module (C.7.3.1): a new series of the same study that names its source series.
const generalSeriesModule = (source: Dataset, series: DerivedSeriesFacts): Dataset => ({
  Modality: 'CT',
  SeriesInstanceUID: series.seriesInstanceUid,
  SeriesNumber: series.seriesNumber,
  SeriesDate: dicomDate(series.created),
  SeriesTime: dicomTime(series.created),
  SeriesDescription: series.seriesDescription,
  ...copy(source, ['BodyPartExamined', 'PatientPosition', 'ProtocolName']),
  ...laterality(source),
  RelatedSeriesSequence: [
    { StudyInstanceUID: source.StudyInstanceUID, SeriesInstanceUID: source.SeriesInstanceUID, PurposeOfReferenceCodeSequence: [] },
  ],
});

/**
 * Laterality is Type 2C: needed for a paired body part. Without BodyPartExamined the part is not
 * known to be unpaired, so an empty value (unknown) is written rather than a guessed side.
 */
function laterality(source: Dataset): Dataset {
  if (source.Laterality !== undefined) return copy(source, ['Laterality']);
  return source.BodyPartExamined === undefined || source.BodyPartExamined === '' ? { Laterality: '' } : {};
}

// Frame of Reference module (C.7.4.1): same patient coordinate system as the source.
const frameOfReferenceModule = (source: Dataset): Dataset => copy(source, ['FrameOfReferenceUID', 'PositionReferenceIndicator'], ['PositionReferenceIndicator']);

// General Equipment module (C.7.5.1): the equipment that made these images is this node.
const generalEquipmentModule = (series: DerivedSeriesFacts): Dataset => ({
  Manufacturer: fitText(series.nodeName, VR_LIMIT.LO),
  SoftwareVersions: fitText(series.nodeName, VR_LIMIT.LO),
});

// General Image (C.7.6.1) and General Acquisition (C.7.10.1) modules.
const generalImageModule = (slice: DerivedSliceFacts, series: DerivedSeriesFacts): Dataset => ({
  InstanceNumber: slice.index + 1,
  ContentDate: dicomDate(series.created),
  ContentTime: dicomTime(series.created),
  ...copy(slice.source.header, ['ImageLaterality', 'AcquisitionDate', 'AcquisitionTime', 'LossyImageCompression', 'LossyImageCompressionRatio', 'LossyImageCompressionMethod']),
  DerivationDescription: series.derivationDescription,
  SourceImageSequence: [
    {
      ReferencedSOPClassUID: slice.source.sopClassUid,
      ReferencedSOPInstanceUID: slice.source.sopInstanceUid,
      ...(slice.source.frameNumber === undefined ? {} : { ReferencedFrameNumber: slice.source.frameNumber }),
      PurposeOfReferenceCodeSequence: [
        { CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' },
      ],
    },
  ],
  ImageComments: series.imageComments,
});

// Image Plane module (C.7.6.2): geometry of the output pixels, not of the source.
const imagePlaneModule = (slice: DerivedSliceFacts, series: DerivedSeriesFacts): Dataset => {
  const g = series.geometry;
  const position = g.positions[slice.index];
  return {
    PixelSpacing: [...g.pixelSpacing],
    ImageOrientationPatient: [...g.rowDirection, ...g.columnDirection],
    ImagePositionPatient: [...position],
    SliceThickness: g.sliceThickness ?? '',
    SliceLocation: dot(position, sliceNormal(g)),
  };
};

// Image Pixel module (C.7.6.3), pixels stored through the source slice's rescale.
const imagePixelModule = (slice: DerivedSliceFacts, series: DerivedSeriesFacts): Dataset => ({
  SamplesPerPixel: 1,
  PhotometricInterpretation: 'MONOCHROME2',
  Rows: series.geometry.rows,
  Columns: series.geometry.columns,
  BitsAllocated: 16,
  BitsStored: slice.pixelFormat.bitsStored,
  HighBit: slice.pixelFormat.bitsStored - 1,
  PixelRepresentation: slice.pixelFormat.pixelRepresentation,
  PixelData: [wholeBuffer(slice.storedPixels)],
});

// CT Image module (C.8.2.1): acquisition facts stay true of the derived image; the kernel does not.
const ctImageModule = (slice: DerivedSliceFacts): Dataset => ({
  ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
  RescaleIntercept: slice.pixelFormat.rescaleIntercept,
  RescaleSlope: slice.pixelFormat.rescaleSlope,
  RescaleType: 'HU',
  ...copy(
    slice.source.header,
    ['KVP', 'AcquisitionNumber', 'ReconstructionDiameter', 'GantryDetectorTilt', 'TableHeight', 'RotationDirection', 'ExposureTime', 'XRayTubeCurrent', 'Exposure'],
    ['KVP', 'AcquisitionNumber'],
  ),
});

// VOI LUT module (C.11.2): keep the source's display windows.
const voiLutModule = (source: Dataset): Dataset =>
  source.WindowCenter !== undefined && source.WindowWidth !== undefined ? copy(source, ['WindowCenter', 'WindowWidth', 'WindowCenterWidthExplanation']) : {};

// SOP Common module (C.12.1).
const sopCommonModule = (slice: DerivedSliceFacts, series: DerivedSeriesFacts): Dataset => ({
  SOPClassUID: CT_IMAGE_STORAGE,
  SOPInstanceUID: slice.sopInstanceUid,
  InstanceCreationDate: dicomDate(series.created),
  InstanceCreationTime: dicomTime(series.created),
});

/** The pixels' own buffer when they fill it (no copy), else a copy of just their bytes. */
function wholeBuffer(pixels: Int16Array | Uint16Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = pixels;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(buffer, byteOffset, byteLength).slice().buffer;
}

/** The naturalized dataset of one derived CT image, built module by module. */
export function buildDerivedDataset(slice: DerivedSliceFacts, series: DerivedSeriesFacts): Dataset {
  const source = slice.source.header;
  const dataset: Dataset = {
    ...patientModule(source),
    ...studyModules(source),
    ...generalSeriesModule(source, series),
    ...frameOfReferenceModule(source),
    ...generalEquipmentModule(series),
    ...generalImageModule(slice, series),
    ...imagePlaneModule(slice, series),
    ...imagePixelModule(slice, series),
    ...ctImageModule(slice),
    ...voiLutModule(source),
    ...sopCommonModule(slice, series),
    _vrMap: { PixelData: 'OW' },
  };
  // dcmjs writes text as UTF-8 and reads any source character set into UTF-8 strings.
  if (source.SpecificCharacterSet !== undefined || hasNonAscii(dataset)) dataset.SpecificCharacterSet = 'ISO_IR 192';
  return dataset;
}
