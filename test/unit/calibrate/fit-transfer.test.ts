import { fitKernelTransfer, type SlicePair } from '../../../src/calibrate/fit-transfer.js';
import { memorySource } from '../../../src/imaging/memory-source.js';
import { applyRadialResponse, gainAt, radialFilter, type RadialResponse } from '../../../src/imaging/radial-response.js';

const SIZE = 128;
const SPACING: [number, number] = [0.7, 0.7];
const grid = { rows: SIZE, columns: SIZE, pixelSpacing: SPACING };
const PADDING = -2048;
const NYQUIST = 0.5 / SPACING[0];
/** The "true" kernel transfer: a Gaussian of 0.9 mm, as a response in cycles/mm. */
const SIGMA_MM = 0.9;
const gaussianGain = (f: number) => Math.exp(-2 * Math.PI ** 2 * SIGMA_MM ** 2 * f ** 2);
const truth: RadialResponse = {
  frequenciesPerMm: Array.from({ length: 65 }, (_, k) => (k * NYQUIST * 1.5) / 64),
  gains: Array.from({ length: 65 }, (_, k) => gaussianGain((k * NYQUIST * 1.5) / 64)),
};

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function gaussianNoise(next: () => number, std: number): number {
  return std * Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

const inCircle = (i: number) => Math.hypot(Math.floor(i / SIZE) - SIZE / 2, (i % SIZE) - SIZE / 2) < SIZE / 2 - 4;

/** A sharp slice (soft tissue with noise of 60 HU and a bone disk) and its softer version by the known transfer, padding outside the circle. */
function slicePair(seed: number, extraSoftNoise = 0): SlicePair {
  const next = random(seed);
  const sharp = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < sharp.length; i++) {
    const [r, c] = [Math.floor(i / SIZE), i % SIZE];
    const bone = Math.hypot(r - 40, c - 70) < 10 ? 1200 : 0;
    sharp[i] = 40 + bone + gaussianNoise(next, 60);
  }
  const soft = radialFilter(grid, truth)(sharp);
  for (let i = 0; i < sharp.length; i++) {
    if (!inCircle(i)) sharp[i] = soft[i] = PADDING;
    else if (extraSoftNoise) soft[i] += gaussianNoise(next, extraSoftNoise);
  }
  return { a: sharp, b: soft };
}

describe('fitKernelTransfer', () => {
  it('recovers a known transfer inside the reconstruction circle, padding excluded', () => {
    const fit = fitKernelTransfer([1, 2, 3, 4, 5, 6].map((seed) => slicePair(seed)), grid);
    expect(fit.sharper).toBe('a');
    expect(fit.slices).toBe(6);
    for (const f of [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]) expect(Math.abs(gainAt(fit.response, f) - gaussianGain(f))).toBeLessThan(0.04);
    expect(fit.residualStdHu).toBeLessThan(4);
  });

  it('tells the sharper reconstruction from the softer whichever comes first, and measures the noise the transfer cannot explain', () => {
    const pairs = [7, 8, 9, 10].map((seed) => slicePair(seed, 8)).map(({ a, b }) => ({ a: b, b: a }));
    const fit = fitKernelTransfer(pairs, grid);
    expect(fit.sharper).toBe('b');
    expect(gainAt(fit.response, 0.2)).toBeCloseTo(gaussianGain(0.2), 1);
    expect(fit.residualStdHu).toBeGreaterThan(6);
    expect(fit.residualStdHu).toBeLessThan(11);
  });

  it('refuses to fit nothing', () => {
    expect(() => fitKernelTransfer([], grid)).toThrow('no slice pairs');
  });
});

describe('radialFilter', () => {
  it('is the identity at unit gain and keeps the full HU range and the padding', () => {
    const { a: sharp } = slicePair(11);
    const identity = radialFilter(grid, { frequenciesPerMm: [0, 1], gains: [1, 1] })(sharp);
    let worst = 0;
    for (let i = 0; i < sharp.length; i++) worst = Math.max(worst, Math.abs(identity[i] - sharp[i]));
    expect(worst).toBeLessThan(0.01);
  });

  it('softens without clipping bone and leaves padding as it was', () => {
    const { a: sharp } = slicePair(12);
    const soft = radialFilter(grid, truth)(sharp);
    expect(soft[0]).toBe(PADDING);
    expect(soft[SIZE * SIZE - 1]).toBe(PADDING);
    const boneCentre = 40 * SIZE + 70;
    expect(soft[boneCentre]).toBeGreaterThan(1150);
    expect(Math.max(...soft)).toBeGreaterThan(1200);
    const tissue = Array.from(soft.subarray(90 * SIZE + 40, 90 * SIZE + 80));
    const mean = tissue.reduce((s, v) => s + v, 0) / tissue.length;
    expect(mean).toBeGreaterThan(0);
    expect(mean).toBeLessThan(80);
  });

  it('filters two slices in one transform exactly as one by one, an odd slice count included', async () => {
    const slices = [13, 14, 15].map((seed) => slicePair(seed).a);
    const filter = radialFilter(grid, truth);
    const [a, b] = filter.pair(slices[0], slices[1]);
    const alone = slices.map((slice) => filter(slice));
    const source = applyRadialResponse(memorySource({ rows: SIZE, columns: SIZE, pixelSpacing: SPACING, rowDirection: [1, 0, 0], columnDirection: [0, 1, 0], positions: [[0, 0, 0], [0, 0, 1], [0, 0, 2]] }, slices), truth);
    const third = await source.readSlice(2);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - alone[0][i]), Math.abs(b[i] - alone[1][i]), Math.abs(third[i] - alone[2][i]));
    expect(worst).toBeLessThan(0.01);
    expect(await source.readSlice(1)).toEqual(b);
  });

  it('refuses a response that does not start at 0 cycles/mm', () => {
    expect(() => radialFilter(grid, { frequenciesPerMm: [0.1, 1], gains: [1, 1] })).toThrow('starts at 0');
  });
});

describe('radialFilter at the image borders', () => {
  it('does not wrap one border into the other: a slice bright at the bottom (the table) stays air at the top', () => {
    const slice = new Float32Array(SIZE * SIZE).fill(-1000);
    for (let r = SIZE - 6; r < SIZE; r++) for (let c = 20; c < SIZE - 20; c++) slice[r * SIZE + c] = 1200;
    const out = radialFilter(grid, truth)(slice);
    let worstTop = 0;
    let sumTop = 0;
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < SIZE; c++) {
        worstTop = Math.max(worstTop, Math.abs(out[r * SIZE + c] + 1000));
        sumTop += Math.abs(out[r * SIZE + c] + 1000);
      }
    }
    // A plain FFT filter puts up to 758 HU of the table into the top rows; what is left is where the
    // table's ends meet the border (the jump along the border is a step there), 131 HU at one pixel.
    expect(sumTop / (8 * SIZE)).toBeLessThan(5);
    expect(worstTop).toBeLessThan(150);
    expect(Math.abs(out[2 * SIZE + SIZE / 2] + 1000)).toBeLessThan(2);
    expect(out[(SIZE - 3) * SIZE + SIZE / 2]).toBeGreaterThan(1100);
  });

  it('keeps a ramp across the whole image a ramp, edges included (a symmetric low-pass keeps linear trends)', () => {
    const ramp = Float32Array.from({ length: SIZE * SIZE }, (_, i) => -800 + 12 * (i % SIZE) + 3 * Math.floor(i / SIZE));
    const out = radialFilter(grid, truth)(ramp);
    let worst = 0;
    for (let i = 0; i < ramp.length; i++) worst = Math.max(worst, Math.abs(out[i] - ramp[i]));
    expect(worst).toBeLessThan(8); // 662 HU without the periodic-plus-smooth decomposition
  });
});
