import { InvalidInputError } from '../errors.js';
import { Fft2d, nextPowerOfTwo, radialFrequencies, type ComplexGrid } from './fft2d.js';
import { LruCache } from './lru-cache.js';
import { PeriodicSmoothFilter } from './periodic-smooth.js';
import { paddingValue } from './reconstruction-circle.js';
import type { SliceSource } from './slice-source.js';

/**
 * A radially symmetric in-plane filter given by its gain at spatial frequencies in cycles/mm, so it
 * carries across pixel sizes: a CT reconstruction kernel acts so, and the transfer from one kernel to
 * another (a fitted calibration) is one of these.
 */
export interface RadialResponse {
  /** Increasing, from 0. */
  readonly frequenciesPerMm: readonly number[];
  readonly gains: readonly number[];
}

/** What fills padding (and the square a non-square slice is embedded in) while filtering: air. */
const FILL_HU = -1000;

/** The gain at f, linearly interpolated; beyond the last frequency, the last gain. */
export function gainAt(response: RadialResponse, f: number): number {
  const { frequenciesPerMm: fs, gains } = response;
  if (f <= fs[0]) return gains[0];
  if (f >= fs[fs.length - 1]) return gains[gains.length - 1];
  let lo = 0;
  let hi = fs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fs[mid] <= f) lo = mid;
    else hi = mid;
  }
  const t = (f - fs[lo]) / (fs[hi] - fs[lo]);
  return gains[lo] + t * (gains[hi] - gains[lo]);
}

export function checkResponse(response: RadialResponse): void {
  const { frequenciesPerMm: fs, gains } = response;
  if (fs.length < 2 || fs.length !== gains.length) throw new InvalidInputError(`a radial response needs as many gains as frequencies (at least 2), got ${fs.length} and ${gains.length}`);
  if (fs[0] !== 0 || fs.some((f, i) => i > 0 && !(f > fs[i - 1]))) throw new InvalidInputError('a radial response starts at 0 cycles/mm and increases');
  if (gains.some((g) => !Number.isFinite(g))) throw new InvalidInputError('a radial response has a gain that is not a number');
}

/**
 * Filters every slice by the response (per slice FFT, gain per radial frequency, inverse FFT).
 * Padding outside the reconstruction circle is filled with air while filtering and put back after,
 * so the output keeps the scanner's circle; HU are kept over the whole range (no clipping).
 * Slices are filtered two at a time, as the real and imaginary parts of one complex transform: the
 * gains are real and radially symmetric, so the two never mix, and each costs half a transform.
 * The image borders do not wrap into each other (periodic-smooth.ts).
 */
export function applyRadialResponse(source: SliceSource, response: RadialResponse): SliceSource {
  const filter = radialFilter(source.geometry, response);
  const pairs = new LruCache<number, Promise<[Float32Array, Float32Array]>>(2);
  const pairOf = (first: number): Promise<[Float32Array, Float32Array]> => {
    let pair = pairs.get(first);
    if (!pair) {
      const second = Math.min(first + 1, source.sliceCount - 1);
      pair = Promise.all([source.readSlice(first), source.readSlice(second)]).then(([a, b]) => filter.pair(a, b));
      pairs.set(first, pair);
      pair.catch(() => pairs.delete(first));
    }
    return pair;
  };
  return {
    geometry: source.geometry,
    sliceCount: source.sliceCount,
    async readSlice(index: number): Promise<Float32Array> {
      const pair = await pairOf(index - (index % 2));
      return pair[index % 2];
    },
  };
}

export interface RadialFilter {
  (slice: Float32Array): Float32Array;
  /** Two slices of the grid in one transform. */
  pair(a: Float32Array, b: Float32Array): [Float32Array, Float32Array];
}

/** The same filter for single slices (or pairs of slices) of one grid. */
export function radialFilter(grid: { rows: number; columns: number; pixelSpacing: readonly [number, number] }, response: RadialResponse): RadialFilter {
  checkResponse(response);
  const { rows, columns, pixelSpacing } = grid;
  const size = nextPowerOfTwo(Math.max(rows, columns));
  const fft = new Fft2d(size);
  const frequencies = radialFrequencies(size, pixelSpacing);
  const filter = new PeriodicSmoothFilter(size, Float64Array.from(frequencies, (f) => gainAt(response, f)));
  // One work grid, reused by the next pair (pair() runs to its end before another starts): only the
  // two output slices are new, so a series does not churn the garbage collector.
  const work = new Float32Array(2 * size * size);
  const pair = (a: Float32Array, b: Float32Array): [Float32Array, Float32Array] => {
    const [pa, pb] = [a, b].map((slice) => paddingValue(slice, rows, columns));
    fillSquare(work, 0, a, pa, rows, columns, size);
    fillSquare(work, 1, b, pb, rows, columns, size);
    filter.measureJumps(work);
    fft.transform(work);
    filter.filter(work);
    fft.transform(work, true);
    return [restored(a, work, 0, pa, rows, columns, size), restored(b, work, 1, pb, rows, columns, size)];
  };
  const single = (slice: Float32Array) => pair(slice, slice)[0];
  return Object.assign(single, { pair });
}

/**
 * Writes the slice into one part (0 real, 1 imaginary) of the complex square: in its top-left, its
 * padding replaced by air, air around it.
 */
function fillSquare(square: ComplexGrid, part: 0 | 1, slice: Float32Array, padding: number | undefined, rows: number, columns: number, size: number): void {
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const value = r < rows && c < columns ? slice[r * columns + c] : FILL_HU;
      square[2 * (r * size + c) + part] = value === padding ? FILL_HU : value;
    }
  }
}

/** One part of the filtered square cut back to the slice, its padding put back. */
function restored(slice: Float32Array, filtered: ComplexGrid, part: 0 | 1, padding: number | undefined, rows: number, columns: number, size: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const i = r * columns + c;
      out[i] = slice[i] === padding ? slice[i] : filtered[2 * (r * size + c) + part];
    }
  }
  return out;
}
