import FFT from 'fft.js';

/**
 * A size x size grid of complex values, row-major, interleaved [re, im, ...]: float64 where the
 * figures are summed (fitting a calibration), float32 where slices are only filtered (the output is
 * stored as integers, and half the bytes is half the memory traffic, which two workers on two cores
 * share).
 */
export type ComplexGrid = Float32Array | Float64Array;

/**
 * 2D discrete Fourier transform of a square power-of-two grid, in place (fft.js's radix-4
 * transform along rows, then along columns, each line in float64). The plan and line buffers are
 * made once per size and reused: a grid is 2 x size line transforms each way.
 */
export class Fft2d {
  private readonly fft: FFT;
  private readonly line: Float64Array;
  private readonly lineOut: Float64Array;

  constructor(readonly size: number) {
    this.fft = new FFT(size);
    this.line = new Float64Array(2 * size);
    this.lineOut = new Float64Array(2 * size);
  }

  /** The spectrum of a real size x size image, in float64. */
  forward(image: ArrayLike<number>): Float64Array {
    const { size } = this;
    const spectrum = new Float64Array(2 * size * size);
    for (let i = 0; i < size * size; i++) spectrum[2 * i] = image[i];
    this.transform(spectrum);
    return spectrum;
  }

  /** Transforms the grid in place; the inverse is scaled by 1 / size^2, so it undoes the forward one. */
  transform(data: ComplexGrid, inverse = false): void {
    const { size, line, lineOut } = this;
    const run = (out: Float64Array, input: Float64Array) => (inverse ? this.fft.inverseTransform(out, input) : this.fft.transform(out, input));
    for (let r = 0; r < size; r++) {
      const row = data.subarray(2 * r * size, 2 * (r + 1) * size);
      line.set(row);
      run(lineOut, line);
      row.set(lineOut);
    }
    for (let c = 0; c < size; c++) {
      for (let r = 0; r < size; r++) {
        line[2 * r] = data[2 * (r * size + c)];
        line[2 * r + 1] = data[2 * (r * size + c) + 1];
      }
      run(lineOut, line);
      for (let r = 0; r < size; r++) {
        data[2 * (r * size + c)] = lineOut[2 * r];
        data[2 * (r * size + c) + 1] = lineOut[2 * r + 1];
      }
    }
  }
}

/** The smallest power of two at least n. */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/**
 * Radial spatial frequency (cycles/mm) of each bin of a size x size transform of pixels of the
 * given spacing ([row, column] mm), row-major.
 */
export function radialFrequencies(size: number, pixelSpacing: readonly [number, number]): Float64Array {
  const out = new Float64Array(size * size);
  for (let r = 0; r < size; r++) {
    const fr = (r < size / 2 ? r : r - size) / (size * pixelSpacing[0]);
    for (let c = 0; c < size; c++) {
      const fc = (c < size / 2 ? c : c - size) / (size * pixelSpacing[1]);
      out[r * size + c] = Math.hypot(fr, fc);
    }
  }
  return out;
}
