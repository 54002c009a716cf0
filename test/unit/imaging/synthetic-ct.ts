import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePart10, EXPLICIT_VR_LITTLE_ENDIAN } from '../../../src/dicom/file/dcmjs.js';

/** Small CT slices written with dcmjs, for tests that need files with chosen geometry. */
export interface SyntheticSlice {
  readonly fileName: string;
  readonly position: readonly number[];
  readonly stored?: Uint16Array | Int16Array;
  readonly overrides?: Record<string, unknown>;
}

export const SYNTHETIC_ROWS = 4;
export const SYNTHETIC_COLUMNS = 5;

export function syntheticDataset(slice: SyntheticSlice, index: number): Record<string, unknown> {
  const stored = slice.stored ?? new Uint16Array(SYNTHETIC_ROWS * SYNTHETIC_COLUMNS).fill(1000 + index);
  return {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    SOPInstanceUID: `1.2.826.0.1.3680043.10.1.${index + 1}`,
    StudyInstanceUID: '1.2.826.0.1.3680043.10.2',
    SeriesInstanceUID: '1.2.826.0.1.3680043.10.3',
    FrameOfReferenceUID: '1.2.826.0.1.3680043.10.4',
    Modality: 'CT',
    PatientID: 'SYNTH',
    InstanceNumber: index + 1,
    ImagePositionPatient: [...slice.position],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    PixelSpacing: [0.7, 0.6],
    SliceThickness: 2,
    Rows: SYNTHETIC_ROWS,
    Columns: SYNTHETIC_COLUMNS,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: stored instanceof Int16Array ? 1 : 0,
    RescaleSlope: 1,
    RescaleIntercept: -1024,
    ...slice.overrides,
    PixelData: [stored.buffer.slice(stored.byteOffset, stored.byteOffset + stored.byteLength)],
    _vrMap: { PixelData: 'OW' },
  };
}

export async function writeSyntheticSeries(dir: string, slices: readonly SyntheticSlice[]): Promise<string[]> {
  const paths: string[] = [];
  for (const [index, slice] of slices.entries()) {
    const bytes = encodePart10(syntheticDataset(slice, index), {
      transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
      implementationClassUid: '1.2.826.0.1.3680043.10.99',
      implementationVersionName: 'TEST',
    });
    const path = join(dir, slice.fileName);
    await writeFile(path, new Uint8Array(bytes));
    paths.push(path);
  }
  return paths;
}
