/** Side of the square blocks whose standard deviation is taken (pixels). */
const BLOCK = 8;
/** Soft tissue: blocks whose mean lies here are homogeneous candidates (fat, muscle, blood, organs). */
const SOFT_TISSUE_HU = [-150, 150] as const;
const MIN_BLOCKS = 20;

/**
 * Noise in HU without a reference: the global noise index of Christianson et al. (2015), the
 * mode of the local standard deviations over soft tissue. Local SD is taken over non-overlapping
 * 8x8 blocks whose mean is soft tissue; edges raise a block's SD, so the most frequent value (the
 * histogram's peak, 1 HU bins, smoothed over 5 bins) is the noise of the homogeneous regions.
 * Null when a series has too little soft tissue to tell.
 */
export function globalNoiseIndex(huSlices: readonly Float32Array[], rows: number, columns: number): number | null {
  const deviations: number[] = [];
  for (const slice of huSlices) {
    for (let r0 = 0; r0 + BLOCK <= rows; r0 += BLOCK) {
      for (let c0 = 0; c0 + BLOCK <= columns; c0 += BLOCK) {
        let sum = 0;
        let squares = 0;
        for (let r = r0; r < r0 + BLOCK; r++) {
          for (let c = c0; c < c0 + BLOCK; c++) {
            const v = slice[r * columns + c];
            sum += v;
            squares += v * v;
          }
        }
        const n = BLOCK * BLOCK;
        const mean = sum / n;
        if (mean < SOFT_TISSUE_HU[0] || mean > SOFT_TISSUE_HU[1]) continue;
        deviations.push(Math.sqrt(Math.max(0, (squares - n * mean * mean) / (n - 1))));
      }
    }
  }
  if (deviations.length < MIN_BLOCKS) return null;
  const histogram = new Float64Array(Math.ceil(Math.max(...deviations)) + 3);
  for (const deviation of deviations) histogram[Math.floor(deviation)] += 1;
  let peak = 0;
  let best = -1;
  for (let b = 0; b < histogram.length; b++) {
    let smoothed = 0;
    for (let k = Math.max(0, b - 2); k <= Math.min(histogram.length - 1, b + 2); k++) smoothed += histogram[k];
    if (smoothed > best) {
      best = smoothed;
      peak = b;
    }
  }
  return peak + 0.5;
}
