import { InvalidInputError } from '../errors.js';
import { applySeparable, buildTaps, type AxisTaps } from './axis-taps.js';
import type { SliceSource } from './slice-source.js';

// Read once: in a vm context (jest) each global lookup inside a per-pixel loop costs ~40x more.
const abs = Math.abs;

/** The HU window that quality is measured on; values are clipped to it first. */
export interface HuWindow {
  readonly low: number;
  readonly high: number;
}

export const DEFAULT_WINDOW: HuWindow = { low: -1150, high: 350 };

/** Every value a 12-bit CT image with intercept -1024 can hold: errors in bone and contrast count in full. */
export const FULL_RANGE: HuWindow = { low: -1024, high: 3071 };

/** Reference voxels above this are bone (cortical and dense trabecular), for the bone MAE. */
export const BONE_THRESHOLD_HU = 600;

export interface QualityMetrics {
  /** dB over the whole volume (pooled MSE), peak = window width; Infinity when identical. */
  readonly psnr: number;
  /** Mean over slices of the mean 2D SSIM map. */
  readonly ssim: number;
  /** Mean absolute difference in HU, after clipping both to the window. */
  readonly maeHu: number;
}

/** Clipped values scaled to [0, 1]: SSIM's luminance term depends on the offset, so fix one. */
function toUnit(hu: Float32Array, window: HuWindow): Float32Array {
  const width = window.high - window.low;
  const out = new Float32Array(hu.length);
  for (let i = 0; i < hu.length; i++) {
    const v = hu[i] < window.low ? window.low : hu[i] > window.high ? window.high : hu[i];
    out[i] = (v - window.low) / width;
  }
  return out;
}

function checkSameSize(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new InvalidInputError(`images differ in size: ${a.length} vs ${b.length} values`);
}

/** Sum of squared and of absolute differences on the window, in HU. */
function differenceSums(reference: Float32Array, test: Float32Array, window: HuWindow): { squared: number; absolute: number } {
  checkSameSize(reference, test);
  const clip = (v: number) => (v < window.low ? window.low : v > window.high ? window.high : v);
  let squared = 0;
  let absolute = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = clip(reference[i]) - clip(test[i]);
    squared += d * d;
    absolute += abs(d);
  }
  return { squared, absolute };
}

function psnrFromMse(mse: number, window: HuWindow): number {
  const peak = window.high - window.low;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

export function psnr(reference: Float32Array, test: Float32Array, window: HuWindow = DEFAULT_WINDOW): number {
  return psnrFromMse(differenceSums(reference, test, window).squared / reference.length, window);
}

export function mae(reference: Float32Array, test: Float32Array, window: HuWindow = DEFAULT_WINDOW): number {
  return differenceSums(reference, test, window).absolute / reference.length;
}

const SSIM_WINDOW = 11;
const SSIM_SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;

/** Gaussian 11x11 taps in 'valid' mode: SSIM is averaged where the window fits inside the image. */
function ssimTaps(length: number): AxisTaps {
  const kernel = gaussianKernelOfSize(SSIM_WINDOW, SSIM_SIGMA);
  return buildTaps(length - SSIM_WINDOW + 1, length, SSIM_WINDOW, (o) => ({ first: o, weights: kernel }));
}

function gaussianKernelOfSize(size: number, sigma: number): number[] {
  const radius = (size - 1) / 2;
  const raw = Array.from({ length: size }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
}

/**
 * Standard 2D SSIM (Wang et al. 2004): Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03, on the
 * window clipped and scaled to [0, 1] (data range = window width), mean of the valid SSIM map.
 */
export function ssim(
  reference: Float32Array,
  test: Float32Array,
  rows: number,
  columns: number,
  window: HuWindow = DEFAULT_WINDOW,
): number {
  checkSameSize(reference, test);
  if (rows < SSIM_WINDOW || columns < SSIM_WINDOW) throw new InvalidInputError(`SSIM needs at least ${SSIM_WINDOW}x${SSIM_WINDOW} pixels`);
  const x = toUnit(reference, window);
  const y = toUnit(test, window);
  const xTaps = ssimTaps(columns);
  const yTaps = ssimTaps(rows);
  const blur = (image: Float32Array) => applySeparable(image, rows, columns, xTaps, yTaps);
  const product = (a: Float32Array, b: Float32Array) => a.map((v, i) => v * b[i]);
  const [muX, muY, xx, yy, xy] = [x, y, product(x, x), product(y, y), product(x, y)].map(blur);
  const c1 = K1 * K1;
  const c2 = K2 * K2;
  let sum = 0;
  for (let i = 0; i < muX.length; i++) {
    const mx = muX[i];
    const my = muY[i];
    const vx = xx[i] - mx * mx;
    const vy = yy[i] - my * my;
    const cxy = xy[i] - mx * my;
    sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  return sum / muX.length;
}

/** Compares two series of the same matrix and slice count slice by slice (memory stays flat). */
export async function compareSeries(
  reference: SliceSource,
  test: SliceSource,
  window: HuWindow = DEFAULT_WINDOW,
): Promise<QualityMetrics> {
  const { rows, columns } = reference.geometry;
  if (test.geometry.rows !== rows || test.geometry.columns !== columns || test.sliceCount !== reference.sliceCount) {
    throw new InvalidInputError(
      `series differ in size: ${reference.sliceCount}x${rows}x${columns} vs ${test.sliceCount}x${test.geometry.rows}x${test.geometry.columns}`,
    );
  }
  let squared = 0;
  let absolute = 0;
  let ssimSum = 0;
  for (let i = 0; i < reference.sliceCount; i++) {
    const [a, b] = await Promise.all([reference.readSlice(i), test.readSlice(i)]);
    const sums = differenceSums(a, b, window);
    squared += sums.squared;
    absolute += sums.absolute;
    ssimSum += ssim(a, b, rows, columns, window);
  }
  const voxels = reference.sliceCount * rows * columns;
  return { psnr: psnrFromMse(squared / voxels, window), ssim: ssimSum / reference.sliceCount, maeHu: absolute / voxels };
}

/**
 * Mean absolute difference in HU over the voxels a mask selects, both clipped to `range`
 * (default FULL_RANGE); NaN when the mask selects nothing.
 */
export function maskedMae(
  reference: readonly Float32Array[],
  test: readonly Float32Array[],
  masks: readonly Uint8Array[],
  range: HuWindow = FULL_RANGE,
): number {
  if (reference.length !== test.length || reference.length !== masks.length) {
    throw new InvalidInputError(`${reference.length} reference, ${test.length} test and ${masks.length} mask slices`);
  }
  const clip = (v: number) => (v < range.low ? range.low : v > range.high ? range.high : v);
  let sum = 0;
  let count = 0;
  reference.forEach((slice, s) => {
    checkSameSize(slice, test[s]);
    const mask = masks[s];
    for (let i = 0; i < slice.length; i++) {
      if (!mask[i]) continue;
      sum += abs(clip(slice[i]) - clip(test[s][i]));
      count++;
    }
  });
  return count === 0 ? NaN : sum / count;
}

/** LAA-950: percent of lung voxels below the threshold (default -950 HU). */
export function laa950(huSlices: readonly Float32Array[], lungMask: readonly Uint8Array[], thresholdHu = -950): number {
  if (huSlices.length !== lungMask.length) throw new InvalidInputError(`${huSlices.length} slices but ${lungMask.length} mask slices`);
  let lung = 0;
  let low = 0;
  huSlices.forEach((slice, s) => {
    const mask = lungMask[s];
    if (mask.length !== slice.length) throw new InvalidInputError(`mask slice ${s} differs in size from its image`);
    for (let i = 0; i < slice.length; i++) {
      if (mask[i]) {
        lung++;
        if (slice[i] < thresholdHu) low++;
      }
    }
  });
  if (lung === 0) throw new InvalidInputError('lung mask is empty');
  return (100 * low) / lung;
}
