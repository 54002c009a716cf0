import { InvalidInputError } from '../errors.js';
import { applySeparable, buildTaps, type AxisTaps } from './axis-taps.js';
import { mapSlices } from './mapped-source.js';
import type { SliceSource } from './slice-source.js';

export interface GaussianSoftenOptions {
  /** Standard deviation of the in-plane Gaussian, in mm (converted per axis with PixelSpacing). */
  readonly sigmaMm: number;
}

/** The kernel is cut where the Gaussian has fallen below 0.04 % of its peak. */
const TRUNCATE_SIGMAS = 4;

/**
 * Classical smoothing baseline for kernel harmonization: a separable in-plane Gaussian with edge
 * replication. Geometry is unchanged; slices are filtered independently (no smoothing along z).
 */
export function gaussianSoften(source: SliceSource, options: GaussianSoftenOptions): SliceSource {
  if (!(options.sigmaMm > 0) || !Number.isFinite(options.sigmaMm)) {
    throw new InvalidInputError(`gaussian sigma must be a positive number of mm, got ${options.sigmaMm}`);
  }
  const { rows, columns, pixelSpacing } = source.geometry;
  const xTaps = gaussianTaps(columns, options.sigmaMm / pixelSpacing[1]);
  const yTaps = gaussianTaps(rows, options.sigmaMm / pixelSpacing[0]);
  return mapSlices(source, source.geometry, (slice) => applySeparable(slice, rows, columns, xTaps, yTaps));
}

/** One slice blurred by an isotropic Gaussian of sigma pixels (edges replicated). */
export function gaussianBlurSlice(slice: Float32Array, rows: number, columns: number, sigmaPixels: number): Float32Array {
  return applySeparable(slice, rows, columns, gaussianTaps(columns, sigmaPixels), gaussianTaps(rows, sigmaPixels));
}

export function gaussianKernel(sigmaPixels: number): number[] {
  const radius = Math.max(1, Math.ceil(TRUNCATE_SIGMAS * sigmaPixels));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigmaPixels ** 2)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  return kernel.map((w) => w / sum);
}

function gaussianTaps(length: number, sigmaPixels: number): AxisTaps {
  const kernel = gaussianKernel(sigmaPixels);
  const radius = (kernel.length - 1) / 2;
  return buildTaps(length, length, kernel.length, (o) => ({ first: o - radius, weights: kernel }));
}
