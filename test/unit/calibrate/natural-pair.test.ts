import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { readImageHeaders, type ImageHeader } from '../../../src/dicom/file/image-headers.js';
import { naturalPair } from '../../../src/calibrate/natural-pair.js';

const DATA = path.resolve(process.cwd(), '../shared/data/ct');

async function series(name: string): Promise<ImageHeader[]> {
  const folder = path.join(DATA, name);
  const files = (await readdir(folder)).sort();
  return (await Promise.all(files.map((file) => readImageHeaders(path.join(folder, file))))).flat();
}

/** The images with tags replaced, on every slice and (sliceTags) on chosen ones. */
function withTags(images: readonly ImageHeader[], tags: Record<string, unknown>, sliceTags: (k: number) => Record<string, unknown> = () => ({})): ImageHeader[] {
  return images.map((image, k) => ({ ...image, header: { ...image.header, ...tags, ...sliceTags(k) } }));
}

describe('natural pairs on the shared series', () => {
  let siemensSharp: ImageHeader[];
  let siemensSoft: ImageHeader[];
  let toshibaSharp: ImageHeader[];
  let toshibaSoft: ImageHeader[];
  let philipsSoft: ImageHeader[];

  beforeAll(async () => {
    [siemensSharp, siemensSoft, toshibaSharp, toshibaSoft, philipsSoft] = await Promise.all(
      ['lung-pet-ct-dx-A0002-siemens-B70f', 'lung-pet-ct-dx-A0002-siemens-B40f', 'toshiba-phantom-FC51', 'toshiba-phantom-FC13', 'lung-pet-ct-dx-A0001-philips-B'].map(series),
    );
  });

  it('pairs the Siemens B70f and B40f reconstructions, every slice with its partner', () => {
    const verdict = naturalPair(siemensSharp, siemensSoft);
    expect(verdict.kind).toBe('pair');
    if (verdict.kind !== 'pair') return;
    expect(verdict.slices).toHaveLength(30);
    for (const [i, j] of verdict.slices) expect(siemensSharp[i].position[2]).toBeCloseTo(siemensSoft[j].position[2], 2);
  });

  it('pairs the Toshiba phantom reconstructions by acquisition: their frame of reference and study UIDs differ', () => {
    expect(toshibaSharp[0].header.FrameOfReferenceUID).not.toBe(toshibaSoft[0].header.FrameOfReferenceUID);
    expect(naturalPair(toshibaSharp, toshibaSoft)).toMatchObject({ kind: 'pair', link: 'acquisition' });
  });

  it('links by acquisition where anonymisation changed the frame of reference and study', () => {
    expect(naturalPair(siemensSharp, siemensSoft)).toMatchObject({ kind: 'pair', link: 'frame-of-reference' });
    const soft = withTags(siemensSoft, { FrameOfReferenceUID: '1.2.3.4', StudyInstanceUID: '1.2.3.5' });
    expect(naturalPair(siemensSharp, soft)).toMatchObject({ kind: 'pair', link: 'acquisition' });
  });

  it('refuses a pair whose per-slice exposure differs once the UIDs no longer link them', () => {
    const soft = withTags(siemensSoft, { FrameOfReferenceUID: '1.2.3.4', StudyInstanceUID: '1.2.3.5' }, (k) => (k === 7 ? { XRayTubeCurrent: 999 } : {}));
    expect(naturalPair(siemensSharp, soft)).toEqual({ kind: 'not-a-pair', reason: expect.stringContaining('XRayTubeCurrent differs at one position') });
  });

  it('refuses a pair whose acquisition time differs once the UIDs no longer link them', () => {
    const soft = withTags(siemensSoft, { FrameOfReferenceUID: '1.2.3.4', StudyInstanceUID: '1.2.3.5', AcquisitionNumber: 1, AcquisitionTime: '101010' });
    const sharp = withTags(siemensSharp, { AcquisitionNumber: 1, AcquisitionTime: '090000' });
    expect(naturalPair(sharp, soft)).toEqual({ kind: 'not-a-pair', reason: expect.stringContaining('AcquisitionTime differs (090000 and 101010)') });
  });

  it('refuses a series with itself: same kernel', () => {
    expect(naturalPair(siemensSharp, siemensSharp)).toEqual({ kind: 'not-a-pair', reason: 'same kernel (B70f)' });
  });

  it('refuses series of different scanners', () => {
    expect(naturalPair(siemensSharp, philipsSoft)).toEqual({ kind: 'not-a-pair', reason: expect.stringContaining('different scanners') });
  });

  it('refuses when the slice positions differ, saying how many matched', () => {
    const shifted = siemensSoft.map((image) => ({ ...image, position: [image.position[0], image.position[1], image.position[2] + 0.5] as const }));
    expect(naturalPair(siemensSharp, shifted)).toEqual({ kind: 'not-a-pair', reason: 'positions differ: 0 of 30 slices share a position within 0.01 mm' });
  });

  it('pairs on the shared positions when one series covers less, and refuses when too few positions match', () => {
    expect(naturalPair(siemensSharp, siemensSoft.slice(0, 20))).toMatchObject({ kind: 'pair', slices: expect.arrayContaining([[0, 0]]) });
    const misaligned = siemensSoft.map((image, k) => (k % 3 === 0 ? image : { ...image, position: [image.position[0], image.position[1], image.position[2] + 0.2] as const }));
    expect(naturalPair(siemensSharp, misaligned)).toEqual({ kind: 'not-a-pair', reason: 'positions differ: 10 of 30 slices share a position within 0.01 mm' });
  });

  it('refuses a different matrix or pixel spacing', () => {
    const spacing = siemensSoft.map((image) => ({ ...image, pixelSpacing: [image.pixelSpacing[0] + 0.1, image.pixelSpacing[1] + 0.1] as const }));
    expect(naturalPair(siemensSharp, spacing)).toEqual({ kind: 'not-a-pair', reason: expect.stringContaining('pixel spacing differs') });
    const matrix = siemensSoft.map((image) => ({ ...image, rows: 1024 }));
    expect(naturalPair(siemensSharp, matrix)).toEqual({ kind: 'not-a-pair', reason: expect.stringContaining('matrix differs (512x512 and 1024x512)') });
  });
});
