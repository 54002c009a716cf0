import { bicubicUpsample2x, keysCubic, nearestUpsample2x, upsampledGeometry } from '../../../src/imaging/bicubic-upsample.js';
import { gaussianKernel, gaussianSoften } from '../../../src/imaging/gaussian-soften.js';
import type { SeriesGeometry } from '../../../src/imaging/geometry.js';
import { memorySource } from '../../../src/imaging/memory-source.js';

const geometry = (rows: number, columns: number, slices = 1): SeriesGeometry => ({
  rows,
  columns,
  pixelSpacing: [0.8, 0.5],
  rowDirection: [1, 0, 0],
  columnDirection: [0, 1, 0],
  positions: Array.from({ length: slices }, (_, i) => [-100, -50, 10 * i] as const),
});

const constant = (rows: number, columns: number, value: number) => new Float32Array(rows * columns).fill(value);

describe('gaussianSoften', () => {
  it('keeps a constant image constant, edges included, and the geometry unchanged', async () => {
    const g = geometry(16, 12, 2);
    const out = gaussianSoften(memorySource(g, [constant(16, 12, -700), constant(16, 12, 40)]), { sigmaMm: 1.3 });
    expect(out.geometry).toBe(g);
    expect(out.sliceCount).toBe(2);
    for (const v of await out.readSlice(0)) expect(v).toBeCloseTo(-700, 3);
    for (const v of await out.readSlice(1)) expect(v).toBeCloseTo(40, 3);
  });

  it('spreads an impulse by the Gaussian of sigma/spacing on each axis, and keeps its sum', async () => {
    const g = geometry(41, 41);
    const impulse = new Float32Array(41 * 41);
    impulse[20 * 41 + 20] = 1000;
    const out = await gaussianSoften(memorySource(g, [impulse]), { sigmaMm: 1 }).readSlice(0);
    const kx = gaussianKernel(1 / 0.5); // columns are 0.5 mm apart
    const ky = gaussianKernel(1 / 0.8); // rows are 0.8 mm apart
    const rx = (kx.length - 1) / 2;
    const ry = (ky.length - 1) / 2;
    expect(out[20 * 41 + 20]).toBeCloseTo(1000 * kx[rx] * ky[ry], 3);
    expect(out[20 * 41 + 23]).toBeCloseTo(1000 * kx[rx + 3] * ky[ry], 3);
    expect(out[22 * 41 + 20]).toBeCloseTo(1000 * kx[rx] * ky[ry + 2], 3);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1000, 2);
    expect(rx).toBe(8); // truncated at 4 sigma
  });

  it('refuses a sigma that is not positive', () => {
    expect(() => gaussianSoften(memorySource(geometry(2, 2), [constant(2, 2, 0)]), { sigmaMm: 0 })).toThrow(/positive/);
  });
});

describe('2x upsampling', () => {
  it('doubles the matrix, halves the spacing and shifts the first pixel centre by a quarter pixel', () => {
    const g = upsampledGeometry({ ...geometry(3, 4), rowDirection: [0, 1, 0], columnDirection: [0, 0, -1] });
    expect([g.rows, g.columns]).toEqual([6, 8]);
    expect(g.pixelSpacing).toEqual([0.4, 0.25]);
    // rowDirection (+y) moves by 0.25 * column spacing 0.5; columnDirection (-z) by 0.25 * row spacing 0.8
    expect(g.positions[0][0]).toBeCloseTo(-100, 12);
    expect(g.positions[0][1]).toBeCloseTo(-50 - 0.125, 12);
    expect(g.positions[0][2]).toBeCloseTo(0 + 0.2, 12);
  });

  it('keeps the field of view: old and new pixel edges coincide', () => {
    const old = geometry(3, 4);
    const g = upsampledGeometry(old);
    const firstEdgeX = (p: number, spacing: number) => p - spacing / 2;
    expect(firstEdgeX(g.positions[0][0], g.pixelSpacing[1])).toBeCloseTo(firstEdgeX(old.positions[0][0], old.pixelSpacing[1]), 12);
    expect(g.positions[0][1] + (g.rows - 0.5) * g.pixelSpacing[0]).toBeCloseTo(old.positions[0][1] + (old.rows - 0.5) * old.pixelSpacing[0], 12);
  });

  it('has Keys cubic weights that sum to one and interpolate', () => {
    expect(keysCubic(0)).toBe(1);
    expect(keysCubic(1)).toBe(0);
    expect(keysCubic(2)).toBe(0);
    for (const t of [0.25, 0.75]) expect(keysCubic(1 + t) + keysCubic(t) + keysCubic(1 - t) + keysCubic(2 - t)).toBeCloseTo(1, 12);
    expect(keysCubic(0.25)).toBeCloseTo(0.8671875, 12);
    expect(keysCubic(1.25)).toBeCloseTo(-0.0703125, 12);
  });

  it('keeps a constant image constant', async () => {
    const out = await bicubicUpsample2x(memorySource(geometry(5, 7), [constant(5, 7, -850)])).readSlice(0);
    expect(out.length).toBe(10 * 14);
    for (const v of out) expect(v).toBeCloseTo(-850, 3);
  });

  it('computes a known 1x4 row with replicated edges', async () => {
    const out = await bicubicUpsample2x(memorySource(geometry(1, 4), [Float32Array.from([0, 0, 100, 100])])).readSlice(0);
    // output 3 sits at x = 1.25: taps at 0..3 with distances 1.25, 0.25, 0.75, 1.75
    const at125 = 100 * (keysCubic(0.75) + keysCubic(1.75));
    // output 0 sits at x = -0.25: taps at -2..1 clamped to 0, distances 1.75, 0.75, 0.25, 1.25
    expect(out[0]).toBeCloseTo(0, 5);
    expect(out[3]).toBeCloseTo(at125, 4);
    expect(out[4]).toBeCloseTo(100 - at125, 4); // symmetric step
    expect(out[7]).toBeCloseTo(100, 5);
    // each output row equals the 1-row result (vertical taps all hit the only row)
    expect(Array.from(out.slice(8))).toEqual(Array.from(out.slice(0, 8)));
  });

  it('nearest replicates each pixel into a 2x2 block', async () => {
    const out = await nearestUpsample2x(memorySource(geometry(2, 2), [Float32Array.from([1, 2, 3, 4])])).readSlice(0);
    expect(Array.from(out)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});
