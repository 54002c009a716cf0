import type { SeriesGeometry } from '../../../src/imaging/geometry.js';
import { lungMask } from '../../../src/imaging/lung-mask.js';
import { memorySource } from '../../../src/imaging/memory-source.js';
import { compareSeries, laa950, mae, psnr, ssim } from '../../../src/imaging/metrics.js';

const N = 32;
const ramp = () => Float32Array.from({ length: N * N }, (_, i) => -1000 + ((i * 37) % 1200));
const plus = (image: Float32Array, offset: number) => image.map((v) => v + offset);

describe('quality metrics on the HU window [-1150, 350]', () => {
  it('gives SSIM 1, infinite PSNR and MAE 0 for identical images', () => {
    const image = ramp();
    expect(ssim(image, image, N, N)).toBeCloseTo(1, 10);
    expect(psnr(image, image)).toBe(Infinity);
    expect(mae(image, image)).toBe(0);
  });

  it('gives the known PSNR and MAE of a constant offset', () => {
    const image = new Float32Array(N * N).fill(-500);
    expect(mae(image, plus(image, 15))).toBeCloseTo(15, 5);
    expect(psnr(image, plus(image, 15))).toBeCloseTo(40, 6); // 10 log10(1500^2 / 15^2)
  });

  it('gives the luminance-only SSIM of two flat images', () => {
    const a = new Float32Array(N * N).fill(-1150 + 300);
    const b = new Float32Array(N * N).fill(-1150 + 600);
    const [x, y, c1] = [0.2, 0.4, 0.0001];
    expect(ssim(a, b, N, N)).toBeCloseTo((2 * x * y + c1) / (x * x + y * y + c1), 5); // float32 moments
  });

  it('clips to the window before comparing', () => {
    const a = new Float32Array(N * N).fill(-2000);
    const b = new Float32Array(N * N).fill(-1500);
    expect(mae(a, b)).toBe(0);
    expect(mae(a, b, { low: -3000, high: 0 })).toBe(500);
  });

  it('drops with noise and ranks a smaller error higher', () => {
    const image = ramp();
    const noisy = (amplitude: number) => image.map((v, i) => v + amplitude * Math.sin(i * 1.7));
    expect(ssim(image, noisy(20), N, N)).toBeGreaterThan(ssim(image, noisy(200), N, N));
    expect(ssim(image, noisy(200), N, N)).toBeLessThan(0.99);
  });

  it('pools a series slice by slice', async () => {
    const geometry: SeriesGeometry = {
      rows: N,
      columns: N,
      pixelSpacing: [1, 1],
      rowDirection: [1, 0, 0],
      columnDirection: [0, 1, 0],
      positions: [
        [0, 0, 0],
        [0, 0, 1],
      ],
    };
    const flat = new Float32Array(N * N).fill(-500);
    const reference = memorySource(geometry, [flat, flat]);
    const test = memorySource(geometry, [plus(flat, 30), flat]);
    const result = await compareSeries(reference, test);
    expect(result.maeHu).toBeCloseTo(15, 5);
    expect(result.psnr).toBeCloseTo(10 * Math.log10(1500 ** 2 / (900 / 2)), 6);
    expect(result.ssim).toBeLessThan(1);
  });
});

describe('laa950 and lung mask', () => {
  it('gives the percent of masked voxels below -950 HU', () => {
    const hu = [Float32Array.from([-990, -960, -900, -1000]), Float32Array.from([-951, 0, -949, -2000])];
    const mask = [Uint8Array.from([1, 1, 1, 0]), Uint8Array.from([1, 1, 1, 0])];
    expect(laa950(hu, mask)).toBeCloseTo((100 * 3) / 6, 10);
  });

  it('finds two lungs inside a body, fills their vessels and leaves outside air out', () => {
    const size = 40;
    const slices = [0, 1, 2].map(() => {
      const slice = new Float32Array(size * size).fill(-1000); // outside air
      for (let r = 0; r < size; r++) {
        for (let c = 0; c < size; c++) {
          const i = r * size + c;
          if ((r - 20) ** 2 + (c - 20) ** 2 < 18 ** 2) slice[i] = 40; // body
          if ((r - 20) ** 2 + (c - 12) ** 2 < 6 ** 2 || (r - 20) ** 2 + (c - 28) ** 2 < 5 ** 2) slice[i] = -870; // lungs
        }
      }
      slice[20 * size + 12] = 60; // a vessel inside the left lung
      slice[18 * size + 20] = -700; // a tiny air pocket between the lungs: too small to keep
      return slice;
    });
    const masks = lungMask(slices, size, size);
    const lung = (r: number, c: number) => (r - 20) ** 2 + (c - 12) ** 2 < 36 || (r - 20) ** 2 + (c - 28) ** 2 < 25;
    for (const mask of masks) {
      for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) expect([r, c, mask[r * size + c]]).toEqual([r, c, lung(r, c) ? 1 : 0]);
    }
  });
});
