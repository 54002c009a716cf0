import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InvalidInputError } from '../../../src/errors.js';
import { openSeries } from '../../../src/imaging/load-series.js';
import { writeSyntheticSeries, type SyntheticSlice } from './synthetic-ct.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'load-series-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const along = (zs: number[], extra: Partial<SyntheticSlice> = {}): SyntheticSlice[] =>
  zs.map((z, i) => ({ fileName: `s${i}.dcm`, position: [-10, -20, z], ...extra }));

async function refusal(slices: SyntheticSlice[]): Promise<string> {
  const files = await writeSyntheticSeries(dir, slices);
  const error = await openSeries(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return (error as Error).message;
}

describe('openSeries sorting', () => {
  it('sorts by position along the normal whatever the file order and InstanceNumber', async () => {
    const files = await writeSyntheticSeries(dir, along([4, 0, 8, 2, 6]));
    const shuffled = [files[2], files[0], files[4], files[1], files[3]];
    const { source, instances } = await openSeries(shuffled);
    expect(source.geometry.positions.map((p) => p[2])).toEqual([0, 2, 4, 6, 8]);
    expect(instances.map((i) => basename(i.path))).toEqual(['s1.dcm', 's3.dcm', 's0.dcm', 's4.dcm', 's2.dcm']);
    expect(instances.map((i) => i.position[2])).toEqual([0, 2, 4, 6, 8]);
    expect(source.sliceCount).toBe(5);
    expect(source.geometry.pixelSpacing).toEqual([0.7, 0.6]);
    expect(source.geometry.sliceThickness).toBe(2);
    expect([source.geometry.rows, source.geometry.columns]).toEqual([4, 5]);
  });

  it('sorts along a reversed normal (column direction pointing to -y)', async () => {
    const slices = along([0, 2, 4]).map((s) => ({ ...s, overrides: { ImageOrientationPatient: [1, 0, 0, 0, -1, 0] } }));
    const { source } = await openSeries(await writeSyntheticSeries(dir, slices));
    expect(source.geometry.columnDirection).toEqual([0, -1, 0]);
    expect(source.geometry.positions.map((p) => p[2])).toEqual([4, 2, 0]);
  });

  it('keeps the header without PixelData and gives SOP identity', async () => {
    const { instances } = await openSeries(await writeSyntheticSeries(dir, along([0, 2])));
    expect(instances[0].header.PixelData).toBeUndefined();
    expect(instances[0].header.PatientID).toBe('SYNTH');
    expect(instances[0].sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(instances[1].sopInstanceUid).toBe('1.2.826.0.1.3680043.10.1.2');
  });
});

describe('openSeries refusals', () => {
  it('refuses irregular spacing naming the gap', async () => {
    const message = await refusal(along([0, 2, 4, 8, 10]));
    expect(message).toMatch(/irregular slice spacing/);
    expect(message).toMatch(/s2\.dcm.*s3\.dcm/);
    expect(message).toMatch(/is 4\.000 mm, the median gap is 2\.000 mm/);
  });

  it('accepts gaps that differ by rounding only', async () => {
    const { source } = await openSeries(await writeSyntheticSeries(dir, along([0, 2.001, 3.999, 6, 8.02])));
    expect(source.sliceCount).toBe(5);
  });

  it('refuses a tilted gantry and gives the angle', async () => {
    const slices = [0, 1, 2, 3].map((i) => ({ fileName: `t${i}.dcm`, position: [0, 0.5 * i, 2 * i] }));
    const message = await refusal(slices);
    expect(message).toMatch(/gantry tilt detected/);
    expect(message).toMatch(/tilt angle 14\.04 degrees/);
  });

  it('refuses duplicate positions naming both files', async () => {
    const message = await refusal(along([0, 2, 2, 4]));
    expect(message).toMatch(/duplicate slice position \[-10,-20,2\]: s[12]\.dcm and s[12]\.dcm/);
  });

  it('refuses mixed series, matrix, spacing and orientation', async () => {
    expect(await refusal([...along([0]), { fileName: 'x.dcm', position: [-10, -20, 2], overrides: { SeriesInstanceUID: '1.2.3' } }])).toMatch(
      /mixed SeriesInstanceUID in one series: s0\.dcm has .* x\.dcm has "1\.2\.3"/,
    );
    await rm(join(dir, 'x.dcm'));
    expect(
      await refusal([...along([0]), { fileName: 'x.dcm', position: [-10, -20, 2], overrides: { PixelSpacing: [0.7, 0.7] } }]),
    ).toMatch(/mixed PixelSpacing/);
    await rm(join(dir, 'x.dcm'));
    expect(
      await refusal([...along([0]), { fileName: 'x.dcm', position: [-10, -20, 2], overrides: { ImageOrientationPatient: [1, 0, 0, 0, 0, -1] } }]),
    ).toMatch(/mixed ImageOrientationPatient/);
  });

  it('refuses a file without ImagePositionPatient, naming it', async () => {
    const message = await refusal(along([0], { overrides: { ImagePositionPatient: undefined } }));
    expect(message).toMatch(/s0\.dcm: missing ImagePositionPatient/);
  });

  it('refuses an Enhanced CT object whose per-frame groups do not match its frame count', async () => {
    const message = await refusal(along([0], { overrides: { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2.1', NumberOfFrames: 3 } }));
    expect(message).toMatch(/s0\.dcm: NumberOfFrames 3 but 0 items in PerFrameFunctionalGroupsSequence/);
  });

  it('names the frame of an Enhanced CT object that lacks its position', async () => {
    const enhanced = {
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2.1',
      NumberOfFrames: 2,
      ImagePositionPatient: undefined,
      PerFrameFunctionalGroupsSequence: [{ PlanePositionSequence: [{ ImagePositionPatient: [0, 0, 0] }] }, { FrameContentSequence: [{ FrameAcquisitionNumber: 1 }] }],
    };
    expect(await refusal(along([0], { overrides: enhanced }))).toMatch(/s0\.dcm frame 2: missing ImagePositionPatient/);
  });

  it('refuses frames in a CT Image file and SOP classes that are not CT', async () => {
    expect(await refusal(along([0], { overrides: { NumberOfFrames: 3 } }))).toMatch(/CT Image Storage with NumberOfFrames 3; only Enhanced CT may have frames/);
    expect(await refusal(along([0], { overrides: { SOPClassUID: '1.2.840.10008.5.1.4.1.1.4' } }))).toMatch(/SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.4 is not CT Image Storage/);
  });
});

describe('openSeries pixels', () => {
  it('reads HU = stored * slope + intercept per slice', async () => {
    const slices = along([0, 2]).map((s, i) => ({ ...s, overrides: { RescaleSlope: 2, RescaleIntercept: -1000 + i } }));
    const { source } = await openSeries(await writeSyntheticSeries(dir, slices));
    expect(Array.from(await source.readSlice(0)).every((v) => v === 1000 * 2 - 1000)).toBe(true);
    expect(Array.from(await source.readSlice(1)).every((v) => v === 1001 * 2 - 999)).toBe(true);
  });

  it('masks bits above BitsStored and sign-extends signed pixels', async () => {
    const unsigned = new Uint16Array(20).fill(0xf000 | 100);
    const signed = new Int16Array(20).fill(-5);
    const files = await writeSyntheticSeries(dir, [{ fileName: 'u.dcm', position: [0, 0, 0], stored: unsigned }]);
    const { source } = await openSeries(files);
    expect((await source.readSlice(0))[0]).toBe(100 - 1024);
    const signedFiles = await writeSyntheticSeries(dir, [
      { fileName: 'u.dcm', position: [0, 0, 0], stored: signed.map(() => 0x0ffb) as unknown as Int16Array },
    ]);
    expect((await (await openSeries(signedFiles)).source.readSlice(0))[0]).toBe(-5 - 1024);
  });

  it('serves repeated reads from its cache and rejects indices outside the series', async () => {
    const { source } = await openSeries(await writeSyntheticSeries(dir, along([0, 2, 4])), { cacheSlices: 2 });
    const first = await source.readSlice(0);
    expect(await source.readSlice(0)).toBe(first);
    await source.readSlice(1);
    await source.readSlice(2);
    expect(await source.readSlice(0)).not.toBe(first);
    await expect(source.readSlice(3)).rejects.toThrow(RangeError);
  });
});
