import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dcmjs, encodePart10, readPart10, toArrayBuffer, type NaturalDataset } from '../../src/dicom/file/dcmjs.js';

const ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.1';

/** Patient, study, series, equipment and image pixel tags a classic slice hands to the multi-frame object. */
const KEPT = [
  'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyDate', 'StudyTime',
  'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'Modality', 'SeriesInstanceUID', 'SeriesNumber',
  'SeriesDescription', 'FrameOfReferenceUID', 'PositionReferenceIndicator', 'Manufacturer', 'ManufacturerModelName',
  'BodyPartExamined', 'PatientPosition', 'SamplesPerPixel', 'PhotometricInterpretation', 'Rows', 'Columns', 'BitsAllocated',
  'BitsStored', 'HighBit', 'PixelRepresentation',
];

/**
 * Test data: the uncompressed CT Image files of one series rewritten as one Enhanced CT object
 * (Explicit VR Little Endian), its frames in reverse slice order so that a reader must sort them.
 * Geometry, rescale and kernel go into functional groups as an Enhanced CT scanner writes them.
 */
export async function writeEnhancedCt(
  seriesFolder: string,
  outFile: string,
  options: { seriesInstanceUid?: string } = {},
): Promise<{ frames: number; sopInstanceUid: string }> {
  const names = (await readdir(seriesFolder)).filter((name) => name.endsWith('.dcm')).sort();
  const slices: NaturalDataset[] = [];
  for (const name of names) {
    const dict = readPart10(toArrayBuffer(await readFile(path.join(seriesFolder, name))));
    slices.push(dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict));
  }
  const position = (slice: NaturalDataset) => (slice.ImagePositionPatient as number[])[2]!;
  slices.sort((a, b) => position(b) - position(a));
  const first = slices[0]!;
  const frameBytes = Number(first.Rows) * Number(first.Columns) * 2;
  const pixels = new Uint8Array(frameBytes * slices.length);
  slices.forEach((slice, index) => pixels.set(new Uint8Array((slice.PixelData as ArrayBuffer[])[0]!, 0, frameBytes), index * frameBytes));
  const sopInstanceUid = `2.25.${BigInt(`0x${Buffer.from(path.basename(outFile)).toString('hex').slice(0, 24).padEnd(24, '0')}`)}`;
  const dataset: NaturalDataset = {
    ...Object.fromEntries(KEPT.filter((keyword) => first[keyword] !== undefined).map((keyword) => [keyword, first[keyword]])),
    ...(options.seriesInstanceUid ? { SeriesInstanceUID: options.seriesInstanceUid } : {}),
    SOPClassUID: ENHANCED_CT_IMAGE_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    InstanceNumber: 1,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE'],
    NumberOfFrames: slices.length,
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [{ PixelSpacing: first.PixelSpacing, SliceThickness: first.SliceThickness }],
        PlaneOrientationSequence: [{ ImageOrientationPatient: first.ImageOrientationPatient }],
        PixelValueTransformationSequence: [{ RescaleIntercept: first.RescaleIntercept, RescaleSlope: first.RescaleSlope, RescaleType: 'HU' }],
        CTReconstructionSequence: [{ ConvolutionKernel: first.ConvolutionKernel, ReconstructionAlgorithm: 'FILTER_BACK_PROJ' }],
      },
    ],
    PerFrameFunctionalGroupsSequence: slices.map((slice) => ({ PlanePositionSequence: [{ ImagePositionPatient: slice.ImagePositionPatient }] })),
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
  const bytes = encodePart10(dataset, { transferSyntaxUid: '1.2.840.10008.1.2.1', implementationClassUid: '2.25.1', implementationVersionName: 'TEST' });
  await writeFile(outFile, Buffer.from(bytes));
  return { frames: slices.length, sopInstanceUid };
}
