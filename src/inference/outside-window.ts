import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { bicubicUpsample2x } from '../imaging/bicubic-upsample.js';
import { bodyMask, bodyWeight } from '../imaging/body-mask.js';
import { gaussianSoften } from '../imaging/gaussian-soften.js';
import { mapSlices } from '../imaging/mapped-source.js';
import { memorySource } from '../imaging/memory-source.js';
import type { SliceSource } from '../imaging/slice-source.js';
import type { ModelManifest } from './manifest.js';
import { scaledGeometry } from './output-geometry.js';

/**
 * A model sees its input clipped to its HU window, so on its own it cannot return bone, calcium or
 * contrast above the window, nor the -2048 outside a reconstruction circle below it. Its classical
 * counterpart C (a linear filter at the model's scale) carries what the model cannot see:
 *
 *   carried = model(clip(x)) + C(e(x))
 *   output  = w * carried + (1 - w) * C(x)
 *
 * e(x) is the part of the input outside the window. Above it, e = x - high: bone and contrast are
 * signal. Below it, single voxels under the edge are the noise of air and lung, which the model was
 * trained to see clipped, so only regions count: e = (max of x over the 3x3 neighbourhood) - low
 * where that is negative (padding outside the reconstruction circle, say).
 *
 * w is 1 where the counterpart's own output lies inside the window by at least marginHu, falls to
 * 0 at the upper edge (bone, where the model saw only a plateau) and where C(e) goes below -marginHu
 * (padding): there the output is the counterpart's. A pass-through counterpart is the identity: a
 * model that refines the step before it (v3 after kernel-transfer) hands that step's output on
 * unchanged beyond its window, and from its aboveHu up when it has one (bone left to that step).
 * So the output is the model's alone away from the edges, the counterpart's beyond them, blended
 * in between; nothing is clipped at an edge. A pass-through with bodyOnly also hands the input on
 * outside the patient's body (w times the body's weight): a small network cannot tell the air
 * around the patient from the air in the lung, and shifts both alike when it corrects the lung.
 */
export type OutsideWindowCounterpart = ModelManifest['normalization']['outsideWindow'];

export interface OutsideWindowOptions {
  readonly window: readonly [number, number];
  readonly counterpart: OutsideWindowCounterpart;
  /** Model and input scale (a matched Gaussian needs 1 x 1). */
  readonly scale: { readonly inPlane: number; readonly z: number };
  /** HU over which the output passes from the model to the counterpart at each edge; default 100. */
  readonly marginHu?: number;
}

/** The counterpart's outputs for one output slice: C(x), C(e) and C(e below the window). */
interface Carried {
  readonly full: Float32Array;
  readonly excess: Float32Array;
  readonly below: Float32Array;
}

/** The model's output over the full HU range, and its counterpart alone (for evaluation). */
export interface FullRangeSource extends SliceSource {
  readCounterpart(index: number): Promise<Float32Array>;
  /** Sigma (mm) fitted per slice read so far, for a matched Gaussian counterpart. */
  readonly matchedSigmasMm: ReadonlyMap<number, number>;
}

export function withOutsideWindow(input: SliceSource, modelOutput: SliceSource, options: OutsideWindowOptions): FullRangeSource {
  const [low, high] = options.window;
  const margin = options.marginHu ?? 100;
  const counterpart = options.counterpart;
  // Where the output is the counterpart's from, at the top: the window's edge, or lower for a
  // pass-through that leaves bone to the step before (C is the identity there, so e adds nothing).
  const top = counterpart.method === 'pass-through' && counterpart.aboveHu !== undefined ? Math.min(counterpart.aboveHu, high) : high;
  const bodyOnly = counterpart.method === 'pass-through' && counterpart.bodyOnly === true;
  const { rows, columns } = input.geometry;
  const excess = mapSlices(input, input.geometry, (slice) => outsidePart(slice, rows, columns, low, high));
  const matchedSigmasMm = new Map<number, number>();
  const carry = carrier(input, excess, modelOutput, options, matchedSigmasMm);
  const shape = (s: SliceSource) => `${s.sliceCount}x${s.geometry.rows}x${s.geometry.columns}`;
  return {
    geometry: modelOutput.geometry,
    sliceCount: modelOutput.sliceCount,
    matchedSigmasMm,
    async readCounterpart(index) {
      return (await carry(index)).full;
    },
    async readSlice(index) {
      const [model, carried] = await Promise.all([modelOutput.readSlice(index), carry(index)]);
      if (model.length !== carried.full.length) throw new RangeError(`counterpart and model differ in shape: ${shape(modelOutput)}`);
      const out = new Float32Array(model.length);
      // A pass-through keeps the geometry, so carried.full is the input slice itself.
      const body = bodyOnly ? bodyWeight(bodyMask([carried.full], rows, columns)[0], rows, columns) : undefined;
      for (let i = 0; i < out.length; i++) {
        const full = carried.full[i];
        const wHigh = (top - full) / margin;
        const wLow = 1 + carried.below[i] / margin;
        const w = Math.max(0, Math.min(1, wHigh, wLow)) * (body ? body[i] : 1);
        out[i] = w === 1 ? model[i] + carried.excess[i] : w * (model[i] + carried.excess[i]) + (1 - w) * full;
      }
      return out;
    },
  };
}

type Carrier = (index: number) => Promise<Carried>;

function carrier(
  input: SliceSource,
  excess: SliceSource,
  modelOutput: SliceSource,
  options: OutsideWindowOptions,
  matchedSigmasMm: Map<number, number>,
): Carrier {
  const counterpart = options.counterpart;
  if (counterpart.method === 'matched-gaussian') {
    if (options.scale.inPlane !== 1 || options.scale.z !== 1) throw new RangeError('a matched Gaussian counterpart needs a model that keeps the geometry');
    const cache = new Map<number, Promise<Carried>>();
    return (index) => {
      let carried = cache.get(index);
      if (!carried) {
        carried = matchedCarry(input, excess, modelOutput, index, options.window, counterpart.sigmaRangeMm, matchedSigmasMm);
        cache.set(index, carried);
        carried.catch(() => cache.delete(index));
        for (const kept of cache.keys()) if (kept < index - 2 || kept > index + 2) cache.delete(kept);
      }
      return carried;
    };
  }
  if (counterpart.method === 'pass-through' && (options.scale.inPlane !== 1 || options.scale.z !== 1)) {
    throw new RangeError('a pass-through counterpart needs a model that keeps the geometry');
  }
  const apply = (source: SliceSource) =>
    counterpart.method === 'gaussian'
      ? gaussianSoften(source, { sigmaMm: counterpart.sigmaMm })
      : counterpart.method === 'pass-through'
        ? source
        : interpolateToScale(source, options.scale);
  const belowOnly = mapSlices(excess, excess.geometry, (slice) => slice.map((v) => (v < 0 ? v : 0)));
  const full = apply(input);
  const carried = apply(excess);
  const below = apply(belowOnly);
  return async (index) => {
    const [f, e, b] = await Promise.all([full.readSlice(index), carried.readSlice(index), below.readSlice(index)]);
    return { full: f, excess: e, below: b };
  };
}

/**
 * The Gaussian that best reproduces what the model did inside the window on this slice (least
 * squares over the central 256 x 256 pixels, less a border, away from any input outside the
 * window), applied to x, e and the part of e below the window. A harmonizer that reads the input
 * kernel smooths each series as much as it needs; its counterpart then smooths bone as much as the
 * model smoothed soft tissue.
 */
async function matchedCarry(
  input: SliceSource,
  excess: SliceSource,
  modelOutput: SliceSource,
  index: number,
  window: readonly [number, number],
  sigmaRange: readonly [number, number],
  sigmas: Map<number, number>,
): Promise<Carried> {
  const [x, e, model] = await Promise.all([input.readSlice(index), excess.readSlice(index), modelOutput.readSlice(index)]);
  const { geometry } = input;
  // Each blur is some tens of ms on the main thread: the event loop (DICOM, HTTP) runs between them.
  const blur = async (slice: Float32Array, sigmaMm: number, rows = geometry.rows, columns = geometry.columns) => {
    await setImmediatePromise();
    return gaussianSoften(memorySource({ ...geometry, rows, columns, positions: [geometry.positions[index]] }, [slice]), { sigmaMm }).readSlice(0);
  };
  const [low, high] = window;
  const crop = centralCrop(geometry.rows, geometry.columns, FIT_CROP);
  const clipped = crop.take(x).map((v) => (v < low ? low : v > high ? high : v));
  const modelCrop = crop.take(model);
  const border = Math.min(Math.ceil((4 * sigmaRange[1]) / Math.min(...geometry.pixelSpacing)), Math.floor(Math.min(crop.rows, crop.columns) / 4));
  const excluded = nearWindowEdge(crop.take(x), crop.rows, crop.columns, low, high, 3);
  const misfit = async (sigmaMm: number) => {
    const smoothed = await blur(clipped, sigmaMm, crop.rows, crop.columns);
    let sum = 0;
    for (let r = border; r < crop.rows - border; r++) {
      for (let c = border, i = r * crop.columns + border; c < crop.columns - border; c++, i++) {
        if (!excluded[i]) sum += (smoothed[i] - modelCrop[i]) ** 2;
      }
    }
    return sum;
  };
  const sigmaMm = await goldenSectionMinimum(misfit, sigmaRange[0], sigmaRange[1], 0.03);
  sigmas.set(index, sigmaMm);
  const zeros = new Float32Array(x.length);
  const below = e.map((v) => (v < 0 ? v : 0));
  const full = await blur(x, sigmaMm);
  const carried = e.some((v) => v !== 0) ? await blur(e, sigmaMm) : zeros;
  const carriedBelow = below.some((v) => v !== 0) ? await blur(below, sigmaMm) : zeros;
  return { full, excess: carried, below: carriedBelow };
}

/** Edge of the square in the middle of a slice that the matched Gaussian is fitted on. */
const FIT_CROP = 256;

function centralCrop(rows: number, columns: number, size: number) {
  const [height, width] = [Math.min(rows, size), Math.min(columns, size)];
  const [top, left] = [Math.floor((rows - height) / 2), Math.floor((columns - width) / 2)];
  return {
    rows: height,
    columns: width,
    take(slice: Float32Array): Float32Array {
      const out = new Float32Array(height * width);
      for (let r = 0; r < height; r++) out.set(slice.subarray((top + r) * columns + left, (top + r) * columns + left + width), r * width);
      return out;
    },
  };
}

/** 1 where an input pixel outside [low, high] lies within `radius` pixels (Chebyshev distance). */
function nearWindowEdge(slice: Float32Array, rows: number, columns: number, low: number, high: number, radius: number): Uint8Array {
  const outside = new Uint8Array(slice.length);
  for (let i = 0; i < slice.length; i++) outside[i] = slice[i] < low || slice[i] > high ? 1 : 0;
  const horizontal = new Uint8Array(slice.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      let hit = 0;
      for (let d = Math.max(0, c - radius); d <= Math.min(columns - 1, c + radius) && !hit; d++) hit = outside[r * columns + d];
      horizontal[r * columns + c] = hit;
    }
  }
  const near = new Uint8Array(slice.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      let hit = 0;
      for (let d = Math.max(0, r - radius); d <= Math.min(rows - 1, r + radius) && !hit; d++) hit = horizontal[d * columns + c];
      near[r * columns + c] = hit;
    }
  }
  return near;
}

/** Minimum of a unimodal function on [a, b] to within `tolerance`, in log scale (sigmas). */
async function goldenSectionMinimum(f: (x: number) => Promise<number>, a: number, b: number, tolerance: number): Promise<number> {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [lo, hi] = [Math.log(a), Math.log(b)];
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let [f1, f2] = [await f(Math.exp(x1)), await f(Math.exp(x2))];
  while (Math.exp(hi) - Math.exp(lo) > tolerance) {
    if (f1 <= f2) {
      [hi, x2, f2] = [x2, x1, f1];
      x1 = hi - ratio * (hi - lo);
      f1 = await f(Math.exp(x1));
    } else {
      [lo, x1, f1] = [x1, x2, f2];
      x2 = lo + ratio * (hi - lo);
      f2 = await f(Math.exp(x2));
    }
  }
  return Number(Math.exp((lo + hi) / 2).toFixed(3));
}

/** e(x) of withOutsideWindow for one slice. */
export function outsidePart(slice: Float32Array, rows: number, columns: number, low: number, high: number): Float32Array {
  const out = new Float32Array(slice.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const i = r * columns + c;
      const v = slice[i];
      if (v > high) {
        out[i] = v - high;
      } else if (v < low) {
        let max = v;
        for (let y = Math.max(0, r - 1); y <= Math.min(rows - 1, r + 1); y++) {
          for (let x = Math.max(0, c - 1); x <= Math.min(columns - 1, c + 1); x++) max = Math.max(max, slice[y * columns + x]);
        }
        out[i] = max < low ? max - low : 0;
      }
    }
  }
  return out;
}

/** Bicubic in-plane (Keys a = -0.5) and linear along z, on the model's output grid. */
export function interpolateToScale(source: SliceSource, scale: { readonly inPlane: number; readonly z: number }): SliceSource {
  const inPlane = scale.inPlane === 2 ? bicubicUpsample2x(source) : source;
  if (scale.z === 1) return inPlane;
  const geometry = scaledGeometry(source.geometry, scale);
  return {
    geometry: { ...geometry, rows: inPlane.geometry.rows, columns: inPlane.geometry.columns, pixelSpacing: inPlane.geometry.pixelSpacing },
    sliceCount: source.sliceCount * scale.z,
    async readSlice(index) {
      // Sub-slice a of slice k lies at k + (a + 0.5) / scale - 0.5 (see scaledGeometry).
      const k = Math.floor(index / scale.z);
      const offset = ((index % scale.z) + 0.5) / scale.z - 0.5;
      const neighbour = Math.min(source.sliceCount - 1, Math.max(0, offset < 0 ? k - 1 : k + 1));
      const weight = Math.abs(offset);
      const [centre, other] = await Promise.all([inPlane.readSlice(k), inPlane.readSlice(neighbour)]);
      const out = new Float32Array(centre.length);
      for (let i = 0; i < out.length; i++) out[i] = (1 - weight) * centre[i] + weight * other[i];
      return out;
    },
  };
}
