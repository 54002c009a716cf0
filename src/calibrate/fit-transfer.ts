import { Fft2d, nextPowerOfTwo, radialFrequencies } from '../imaging/fft2d.js';
import { gaussianBlurSlice } from '../imaging/gaussian-soften.js';
import type { RadialResponse } from '../imaging/radial-response.js';
import { insideCircle, paddingValue } from '../imaging/reconstruction-circle.js';
import { InvalidInputError } from '../errors.js';

/** Two reconstructions of one slice of one acquisition, in HU. */
export interface SlicePair {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

export interface SliceGrid {
  readonly rows: number;
  readonly columns: number;
  /** [row, column] spacing in mm. */
  readonly pixelSpacing: readonly [number, number];
}

/** A fitted transfer from the sharper reconstruction to the softer one. */
export interface TransferFit {
  /** Which of the two (a or b) is the sharper: the one with more power at high frequencies. */
  readonly sharper: 'a' | 'b';
  readonly response: RadialResponse;
  /** Power spectrum (HU^2 mm^2) of what the transfer leaves unexplained, per radial frequency. */
  readonly residualNps: readonly number[];
  /** Its standard deviation in HU (the integral of residualNps). */
  readonly residualStdHu: number;
  readonly slices: number;
}

/** Pixels this far inside the circle's edge are used; the window then rises over TAPER_SIGMA_PX. */
const EDGE_MARGIN_PX = 6;
const TAPER_SIGMA_PX = 6;
/** Neighbouring frequency bins pooled into each gain (regularises where there is little power). */
const POOLED_BINS = 1;
/** Frequencies counted as high when telling the sharper reconstruction from the softer: 40-90 % of Nyquist. */
const HIGH_BAND = [0.4, 0.9];

/**
 * Fits the radial frequency response H that takes the sharper of two reconstructions of the same
 * slices to the softer (cross-spectral estimate, H(f) = sum Re(Soft Sharp*) / sum |Sharp|^2 over
 * the slices and the frequencies in each radial bin), inside the reconstruction circles only
 * (tapered, so the circle's edge adds no false frequencies), plus the power spectrum of the residual.
 * Slices are added one pair at a time, so a long series is never all in memory.
 */
export class TransferFitter {
  private readonly size: number;
  private readonly fft: Fft2d;
  private readonly binOfPixel: Int32Array;
  private readonly binWidth: number;
  private readonly sums: { ab: Float64Array; aa: Float64Array; bb: Float64Array; count: Float64Array };
  private windowPower = 0;
  private slices = 0;

  constructor(private readonly grid: SliceGrid) {
    const { rows, columns, pixelSpacing } = grid;
    this.size = nextPowerOfTwo(Math.max(rows, columns));
    this.fft = new Fft2d(this.size);
    this.binWidth = 1 / (this.size * Math.max(pixelSpacing[0], pixelSpacing[1]));
    const frequencies = radialFrequencies(this.size, pixelSpacing);
    this.binOfPixel = Int32Array.from(frequencies, (f) => Math.round(f / this.binWidth));
    const bins = this.binOfPixel.reduce((most, bin) => Math.max(most, bin), 0) + 1;
    this.sums = { ab: new Float64Array(bins), aa: new Float64Array(bins), bb: new Float64Array(bins), count: new Float64Array(bins) };
  }

  add(pair: SlicePair): void {
    const { rows, columns } = this.grid;
    const { size, sums } = this;
    const window = taperedWindow(pair, rows, columns);
    const [fa, fb] = [pair.a, pair.b].map((slice) => this.fft.forward(windowed(slice, window, rows, columns, size)));
    for (let i = 0; i < size * size; i++) {
      const bin = this.binOfPixel[i];
      const [ar, ai, br, bi] = [fa[2 * i], fa[2 * i + 1], fb[2 * i], fb[2 * i + 1]];
      sums.ab[bin] += ar * br + ai * bi;
      sums.aa[bin] += ar * ar + ai * ai;
      sums.bb[bin] += br * br + bi * bi;
      sums.count[bin] += 1;
    }
    this.windowPower += window.reduce((total, w) => total + w * w, 0);
    this.slices += 1;
  }

  finish(): TransferFit {
    if (this.slices === 0) throw new InvalidInputError('no slice pairs to fit a kernel transfer on');
    const { sums, binWidth, size } = this;
    const { pixelSpacing } = this.grid;
    const bins = sums.count.length;
    const nyquist = 0.5 / Math.max(pixelSpacing[0], pixelSpacing[1]);
    const highPower = (power: Float64Array) => {
      let total = 0;
      for (let b = 0; b < bins; b++) if (b * binWidth >= HIGH_BAND[0] * nyquist && b * binWidth <= HIGH_BAND[1] * nyquist) total += power[b];
      return total;
    };
    const sharper = highPower(sums.aa) >= highPower(sums.bb) ? 'a' : 'b';
    const [xx, yy] = sharper === 'a' ? [sums.aa, sums.bb] : [sums.bb, sums.aa];
    const gains: number[] = [];
    const residualNps: number[] = [];
    const pixelArea = pixelSpacing[0] * pixelSpacing[1];
    let residualEnergy = 0;
    for (let b = 0; b < bins; b++) {
      let ab = 0;
      let aa = 0;
      for (let k = Math.max(1, b - POOLED_BINS); k <= Math.min(bins - 1, b + POOLED_BINS); k++) {
        ab += sums.ab[k];
        aa += xx[k];
      }
      const gain = b === 0 || aa === 0 ? 1 : Math.min(2, Math.max(0, ab / aa));
      gains.push(gain);
      const unexplained = Math.max(0, yy[b] - 2 * gain * sums.ab[b] + gain * gain * xx[b]);
      residualNps.push(sums.count[b] === 0 ? 0 : (pixelArea * unexplained) / sums.count[b] / (this.windowPower / this.slices));
      residualEnergy += unexplained;
    }
    return {
      sharper,
      response: { frequenciesPerMm: gains.map((_, b) => b * binWidth), gains },
      residualNps,
      // Parseval: the residual's variance per pixel of window.
      residualStdHu: Math.sqrt(residualEnergy / (size * size) / this.windowPower),
      slices: this.slices,
    };
  }
}

export function fitKernelTransfer(pairs: readonly SlicePair[], grid: SliceGrid): TransferFit {
  const fitter = new TransferFitter(grid);
  for (const pair of pairs) fitter.add(pair);
  return fitter.finish();
}

/** Inside both reconstruction circles, EDGE_MARGIN_PX in, rising smoothly from 0 at that edge. */
function taperedWindow(pair: SlicePair, rows: number, columns: number): Float32Array {
  const inside = [pair.a, pair.b].map((slice) => insideCircle(slice, paddingValue(slice, rows, columns)));
  const core = new Float32Array(rows * columns);
  for (let i = 0; i < core.length; i++) core[i] = inside[0][i] && inside[1][i] ? 1 : 0;
  const eroded = gaussianBlurSlice(core, rows, columns, EDGE_MARGIN_PX / 2).map((v) => (v > 0.999 ? 1 : 0));
  const smooth = gaussianBlurSlice(eroded, rows, columns, TAPER_SIGMA_PX);
  return smooth.map((v, i) => (eroded[i] ? v : 0));
}

/** (slice - its windowed mean) x window, in the top-left corner of a size x size square of zeros. */
function windowed(slice: Float32Array, window: Float32Array, rows: number, columns: number, size: number): Float64Array {
  let sum = 0;
  let weight = 0;
  for (let i = 0; i < slice.length; i++) {
    sum += window[i] * slice[i];
    weight += window[i];
  }
  if (weight === 0) throw new InvalidInputError('a slice pair has no pixels inside both reconstruction circles');
  const mean = sum / weight;
  const out = new Float64Array(size * size);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[r * size + c] = (slice[r * columns + c] - mean) * window[r * columns + c];
  return out;
}
