import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { bicubicUpsample2x } from '../../../src/imaging/bicubic-upsample.js';
import { gaussianSoften } from '../../../src/imaging/gaussian-soften.js';
import { openSeries } from '../../../src/imaging/load-series.js';
import type { SliceSource } from '../../../src/imaging/slice-source.js';
import { describeQuality, keepingSampledSlices, measureQuality } from '../../../src/jobs/quality-report.js';
import { lungMask } from '../../../src/imaging/lung-mask.js';
import { laa950 } from '../../../src/imaging/metrics.js';

const DATA = path.resolve(process.cwd(), '../shared/data/ct');
const SHARP = path.join(DATA, 'lung-pet-ct-dx-A0002-siemens-B70f');
let sharp: SliceSource;

beforeAll(async () => {
  sharp = (await openSeries((await readdir(SHARP)).map((name) => path.join(SHARP, name)))).source;
});

/** Counts how often each slice is computed. */
function counted(source: SliceSource): { source: SliceSource; reads: number[] } {
  const reads = new Array<number>(source.sliceCount).fill(0);
  return { reads, source: { ...source, readSlice: (index) => (reads[index]++, source.readSlice(index)) } };
}

describe('measureQuality on the Siemens B70f series', () => {
  it('sees a softening step lower the noise and LAA-950, and computes no slice twice', async () => {
    const softened = counted(gaussianSoften(sharp, { sigmaMm: 1.2 }));
    const { report, output } = await measureQuality(sharp, softened.source, [undefined]);
    expect(report.slicesSampled).toBe(8);
    expect(report.noiseHu.before!).toBeGreaterThan(30);
    expect(report.noiseHu.after!).toBeLessThan(report.noiseHu.before! / 2);
    expect(report.laa950.before!).toBeGreaterThan(report.laa950.after!);
    expect(report.dataConsistencyHu).toBeUndefined();
    for (let i = 0; i < output.sliceCount; i++) await output.readSlice(i);
    expect(softened.reads.every((count) => count === 1)).toBe(true);
    expect(describeQuality(report)).toMatch(/^Quality on 8 sampled slices, input -> output, no reference: noise [\d.]+ -> [\d.]+ HU; LAA-950 [\d.]+ -> [\d.]+ %\.$/);
  });

  it('measures super-resolution against its input: the output averaged back to the input grid', async () => {
    const { report } = await measureQuality(sharp, bicubicUpsample2x(sharp), []);
    expect(report.dataConsistencyHu!).toBeGreaterThan(0);
    expect(report.dataConsistencyHu!).toBeLessThan(30);
    expect(report.laa950.after).not.toBeNull();
  });

  it('computes the sampled slices of what super-resolution was given once, for the report and for the step', async () => {
    const softened = counted(gaussianSoften(sharp, { sigmaMm: 1.2 }));
    const given = keepingSampledSlices(softened.source);
    const { report, output } = await measureQuality(sharp, bicubicUpsample2x(given), [], given);
    for (let i = 0; i < output.sliceCount; i++) await output.readSlice(i);
    expect(report.dataConsistencyHu!).toBeLessThan(5);
    expect(softened.reads.every((count) => count === 1)).toBe(true);
  });

  it('names the calibration a kernel transfer used, with its held-back error', async () => {
    const reports = [{ calibration: '12345678-aaaa-4bbb-8ccc-123456789abc', calibrationFit: { maeHu: 3.4 } }];
    const { report } = await measureQuality(sharp, sharp, reports);
    expect(report.calibration).toEqual({ id: '12345678-aaaa-4bbb-8ccc-123456789abc', heldBackMaeHu: 3.4 });
    expect(report.noiseHu.after).toBe(report.noiseHu.before);
    expect(describeQuality(report)).toContain('calibration 12345678, held-back MAE 3.4 HU');
  });
});

describe('measureQuality on the lungs of every sampled slice', () => {
  // The sampled slices lie centimetres apart: as one volume, the lungs of one touched the air
  // around the body in the next and were dropped (the Philips series had no LAA-950 at all).
  it.each(['lung-pet-ct-dx-A0001-philips-L', 'lung-pet-ct-dx-A0002-siemens-B70f'])('%s: LAA-950 within 1 pp of the whole volume\'s', async (folder) => {
    const source = (await openSeries((await readdir(path.join(DATA, folder))).map((name) => path.join(DATA, folder, name)))).source;
    const whole: Float32Array[] = [];
    for (let i = 0; i < source.sliceCount; i++) whole.push(await source.readSlice(i));
    const expected = laa950(whole, lungMask(whole, source.geometry.rows, source.geometry.columns));
    const { report } = await measureQuality(source, source, []);
    expect(report.laa950.before).not.toBeNull();
    expect(Math.abs(report.laa950.before! - expected)).toBeLessThan(1);
  });
});
