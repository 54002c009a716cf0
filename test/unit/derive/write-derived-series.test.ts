import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derivedSeriesDescription, writeDerivedSeries, type DerivedSeriesInput } from '../../../src/derive/write-derived-series.js';
import { dicomDate, dicomTime } from '../../../src/derive/dicom-values.js';
import { isValidUid } from '../../../src/derive/derived-uids.js';
import { nearestUpsample2x } from '../../../src/imaging/bicubic-upsample.js';
import { dcmjs, readPart10, toArrayBuffer } from '../../../src/dicom/file/dcmjs.js';
import { openSeries, type LoadedSeries } from '../../../src/imaging/load-series.js';
import { memorySource } from '../../../src/imaging/memory-source.js';
import { writeSyntheticSeries } from '../imaging/synthetic-ct.js';

let dir: string;
let source: LoadedSeries;
const created = new Date(2024, 4, 6, 7, 8, 9, 10);
const gaussStep = { label: 'GAUSS-SOFT1.0', derivation: 'Gaussian smoothing baseline, sigma 1.0 mm', generated: false };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'derive-'));
  await mkdir(join(dir, 'in'));
  const files = await writeSyntheticSeries(
    join(dir, 'in'),
    [4, 0, 2].map((z, i) => ({
      fileName: `in${i}.dcm`,
      position: [-10, -20, z],
      overrides: { SeriesDescription: 'Chest 1.0 B70f', SeriesNumber: 3, StudyDescription: 'CT THORAX', PatientName: [{ Alphabetic: 'Doe^Jane' }] },
    })),
  );
  source = await openSeries(files);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(overrides: Partial<DerivedSeriesInput> = {}, name = 'out') {
  const outputDir = join(dir, name);
  await mkdir(outputDir);
  return writeDerivedSeries({
    source,
    output: source.source,
    outputDir,
    uidRoot: '2.25',
    clock: () => created,
    steps: [gaussStep],
    ...overrides,
  });
}

async function parse(path: string): Promise<Record<string, unknown>> {
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(readPart10(toArrayBuffer(await readFile(path))).dict);
}

describe('writeDerivedSeries', () => {
  it('writes one derived image per slice with new UIDs in the same study', async () => {
    const result = await write();
    expect(result.files).toHaveLength(3);
    expect(new Set(result.sopInstanceUids).size).toBe(3);
    for (const uid of [result.seriesInstanceUid, ...result.sopInstanceUids]) {
      expect(isValidUid(uid)).toBe(true);
      expect(uid.startsWith('2.25.')).toBe(true);
    }
    const datasets = await Promise.all(result.files.map(parse));
    datasets.forEach((d, i) => {
      const from = source.instances[i];
      expect(d.SOPInstanceUID).toBe(result.sopInstanceUids[i]);
      expect(d.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(d.SeriesInstanceUID).toBe(result.seriesInstanceUid);
      expect(d.SeriesInstanceUID).not.toBe(from.header.SeriesInstanceUID);
      expect(d.StudyInstanceUID).toBe(from.header.StudyInstanceUID);
      expect(d.FrameOfReferenceUID).toBe(from.header.FrameOfReferenceUID);
      expect(d.PatientID).toBe('SYNTH');
      expect(d.PatientName).toEqual([{ Alphabetic: 'Doe^Jane' }]);
      expect(d.ImageType).toEqual(['DERIVED', 'SECONDARY', 'AXIAL']);
      expect(d.InstanceNumber).toBe(i + 1);
      expect(d.SeriesNumber).toBe(1003);
      expect(d.SeriesDescription).toBe('Chest 1.0 B70f [GAUSS-SOFT1.0]');
      expect(d.DerivationDescription).toBe('ct-preprocessing-node: Gaussian smoothing baseline, sigma 1.0 mm');
      expect(d.ImageComments).toBe('Derived by ct-preprocessing-node: GAUSS-SOFT1.0. For automated analysis, not for primary diagnosis.');
      expect(d.SourceImageSequence).toEqual([
        expect.objectContaining({ ReferencedSOPClassUID: from.sopClassUid, ReferencedSOPInstanceUID: from.sopInstanceUid }),
      ]);
      expect(d.RelatedSeriesSequence).toEqual([
        expect.objectContaining({ StudyInstanceUID: from.header.StudyInstanceUID, SeriesInstanceUID: from.header.SeriesInstanceUID }),
      ]);
      expect([d.ContentDate, d.ContentTime]).toEqual([dicomDate(created), dicomTime(created)]);
      expect(d.ContentTime).toBe('070809.010000');
      expect(d.ImagePositionPatient).toEqual([-10, -20, 2 * i]);
      expect(d.SliceLocation).toBe(2 * i);
    });
  });

  it('gives the same UIDs for the same source and steps, others for other steps', async () => {
    const first = await write({}, 'a');
    const again = await write({ clock: () => new Date(2030, 0, 1) }, 'b');
    const other = await write({ steps: [{ ...gaussStep, derivation: 'Gaussian smoothing baseline, sigma 1.2 mm' }] }, 'c');
    expect(again.seriesInstanceUid).toBe(first.seriesInstanceUid);
    expect(again.sopInstanceUids).toEqual(first.sopInstanceUids);
    expect(other.seriesInstanceUid).not.toBe(first.seriesInstanceUid);
    expect(other.sopInstanceUids.some((uid) => first.sopInstanceUids.includes(uid))).toBe(false);
  });

  it('uses a custom UID root and a given series number and node name', async () => {
    const result = await write({ uidRoot: '1.2.826.0.1.3680043.10.543', seriesNumber: 77, nodeName: 'Node Ä' });
    expect(result.seriesInstanceUid.startsWith('1.2.826.0.1.3680043.10.543.')).toBe(true);
    expect(result.seriesInstanceUid.length).toBeLessThanOrEqual(64);
    const d = await parse(result.files[0]);
    expect(d.SeriesNumber).toBe(77);
    expect(d.Manufacturer).toBe('Node Ä');
    expect(d.SpecificCharacterSet).toBe('ISO_IR 192');
  });

  it('stores HU through the source rescale, clamped to the stored range', async () => {
    const huSlices = [0, 1, 2].map((i) => Float32Array.from({ length: 20 }, (_, k) => -1000 + 37 * k + i));
    huSlices[0][0] = -5000; // below stored 0 -> HU -1024
    huSlices[0][1] = 9000; // above stored 4095 -> HU 3071
    const output = memorySource(source.source.geometry, huSlices);
    const result = await write({ output });
    const back = await openSeries(result.files);
    const slice0 = await back.source.readSlice(0);
    expect(slice0[0]).toBe(-1024);
    expect(slice0[1]).toBe(3071);
    expect(Array.from(slice0.slice(2))).toEqual(Array.from(huSlices[0].slice(2)));
    expect(Array.from(await back.source.readSlice(2))).toEqual(Array.from(huSlices[2]));
  });

  it('writes signed pixels back as signed', async () => {
    const signedDir = join(dir, 'signed');
    await mkdir(signedDir);
    const signed = await openSeries(
      await writeSyntheticSeries(signedDir, [
        { fileName: 's.dcm', position: [0, 0, 0], stored: new Int16Array(20).fill(-3), overrides: { BitsStored: 16, HighBit: 15, RescaleIntercept: 0 } },
      ]),
    );
    const hu = Float32Array.from({ length: 20 }, (_, k) => -2000 + 150 * k);
    const result = await write({ source: signed, output: memorySource(signed.source.geometry, [hu]) });
    const d = await parse(result.files[0]);
    expect([d.PixelRepresentation, d.BitsStored, d.HighBit]).toEqual([1, 16, 15]);
    expect(Array.from(await (await openSeries(result.files)).source.readSlice(0))).toEqual(Array.from(hu));
  });

  it('writes the geometry of upsampled output and references the source slice at the same z', async () => {
    const result = await write({ output: nearestUpsample2x(source.source), steps: [{ label: 'SR2X-NEAREST', derivation: 'nearest 2x', generated: false }] });
    const d = await parse(result.files[1]);
    expect([d.Rows, d.Columns]).toEqual([8, 10]);
    expect(d.PixelSpacing).toEqual([0.35, 0.3]);
    // first pixel centre moves back a quarter of an old pixel along both in-plane axes
    expect(d.ImagePositionPatient).toEqual([-10 - 0.25 * 0.6, -20 - 0.25 * 0.7, 2]);
    expect(d.SliceLocation).toBe(2);
    expect((d.SourceImageSequence as Record<string, unknown>[])[0].ReferencedSOPInstanceUID).toBe(source.instances[1].sopInstanceUid);
    expect(d.SeriesDescription).toBe('Chest 1.0 B70f [SR2X-NEAREST]');
  });

  it('says when a trained generator made the images', async () => {
    const result = await write({ steps: [{ label: 'SOFT-GAN', derivation: 'model soft v1', generated: true }] });
    expect((await parse(result.files[0])).ImageComments).toMatch(/trained image generator.*not for primary diagnosis/);
  });
});

describe('derivedSeriesDescription', () => {
  it('keeps the labels visible within 64 characters', () => {
    const long = 'A very long series description from a scanner that says a lot of things';
    const text = derivedSeriesDescription(long, 'GAUSS-SOFT1.0+SR2X-BICUBIC');
    expect(text.length).toBeLessThanOrEqual(64);
    expect(text.endsWith(' [GAUSS-SOFT1.0+SR2X-BICUBIC]')).toBe(true);
    expect(derivedSeriesDescription('', 'SR2X-BICUBIC')).toBe('[SR2X-BICUBIC]');
    expect(derivedSeriesDescription('x', 'L'.repeat(80)).length).toBe(64);
  });
});
