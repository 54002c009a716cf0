/**
 * Separable 2D filtering and resampling as tap tables: for each output position along one axis,
 * the input positions it reads (already clamped, i.e. edge replicate) and their weights.
 */
export interface AxisTaps {
  readonly outputLength: number;
  readonly tapsPerOutput: number;
  /** outputLength * tapsPerOutput input indices, clamped to the input. */
  readonly indices: Int32Array;
  readonly weights: Float32Array;
}

export function buildTaps(
  outputLength: number,
  inputLength: number,
  tapsPerOutput: number,
  tapsFor: (output: number) => { first: number; weights: readonly number[] },
): AxisTaps {
  const indices = new Int32Array(outputLength * tapsPerOutput);
  const weights = new Float32Array(outputLength * tapsPerOutput);
  for (let o = 0; o < outputLength; o++) {
    const taps = tapsFor(o);
    for (let t = 0; t < tapsPerOutput; t++) {
      indices[o * tapsPerOutput + t] = Math.min(inputLength - 1, Math.max(0, taps.first + t));
      weights[o * tapsPerOutput + t] = taps.weights[t];
    }
  }
  return { outputLength, tapsPerOutput, indices, weights };
}

/** Filters along rows (x) with `alongColumns` taps, then along columns (y) with `alongRows` taps. */
export function applySeparable(
  image: Float32Array,
  rows: number,
  columns: number,
  xTaps: AxisTaps,
  yTaps: AxisTaps,
): Float32Array {
  const outColumns = xTaps.outputLength;
  const outRows = yTaps.outputLength;
  const horizontal = new Float32Array(rows * outColumns);
  for (let r = 0; r < rows; r++) {
    const inRow = r * columns;
    const outRow = r * outColumns;
    for (let o = 0; o < outColumns; o++) {
      let sum = 0;
      for (let t = 0, k = o * xTaps.tapsPerOutput; t < xTaps.tapsPerOutput; t++, k++) {
        sum += xTaps.weights[k] * image[inRow + xTaps.indices[k]];
      }
      horizontal[outRow + o] = sum;
    }
  }
  const out = new Float32Array(outRows * outColumns);
  for (let o = 0; o < outRows; o++) {
    const outRow = o * outColumns;
    for (let t = 0, k = o * yTaps.tapsPerOutput; t < yTaps.tapsPerOutput; t++, k++) {
      const weight = yTaps.weights[k];
      const inRow = yTaps.indices[k] * outColumns;
      for (let c = 0; c < outColumns; c++) out[outRow + c] += weight * horizontal[inRow + c];
    }
  }
  return out;
}
