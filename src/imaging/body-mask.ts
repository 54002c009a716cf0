import { fillHoles2d } from './fill-holes.js';

/**
 * The patient's body on each slice (full-range quality figures; where a refinement with bodyOnly
 * applies its correction): pixels above -500 HU, the largest 4-connected region (the table and
 * cables are smaller and apart), holes filled (lungs).
 */
export function bodyMask(huSlices: readonly Float32Array[], rows: number, columns: number, thresholdHu = -500): Uint8Array[] {
  return huSlices.map((slice) => {
    const mask = new Uint8Array(slice.length);
    for (let i = 0; i < slice.length; i++) mask[i] = slice[i] > thresholdHu ? 1 : 0;
    keepLargestRegion(mask, rows, columns);
    fillHoles2d(mask, rows, columns);
    return mask;
  });
}

/**
 * Per pixel, how much of a slice is the body's: 1 on the mask and up to marginPx beyond it, then
 * falling linearly to 0 over rampPx more (Chebyshev distance), so that what is switched off outside
 * the body fades out in the air next to the skin, not at the skin itself.
 */
export function bodyWeight(mask: Uint8Array, rows: number, columns: number, marginPx = 2, rampPx = 4): Float32Array {
  const weight = new Float32Array(mask.length);
  let reached: Uint8Array = Uint8Array.from(mask);
  for (let i = 0; i < mask.length; i++) weight[i] = mask[i];
  for (let step = 1; step <= marginPx + rampPx; step++) {
    reached = dilate3x3(reached, rows, columns);
    const value = step <= marginPx ? 1 : 1 - (step - marginPx) / (rampPx + 1);
    for (let i = 0; i < mask.length; i++) if (reached[i] && weight[i] === 0) weight[i] = value;
  }
  return weight;
}

function dilate3x3(mask: Uint8Array, rows: number, columns: number): Uint8Array {
  const horizontal = new Uint8Array(mask.length);
  for (let r = 0; r < rows; r++) {
    const row = r * columns;
    for (let c = 0; c < columns; c++) {
      horizontal[row + c] = mask[row + c] | (c > 0 ? mask[row + c - 1] : 0) | (c < columns - 1 ? mask[row + c + 1] : 0);
    }
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    out[i] = horizontal[i] | (i >= columns ? horizontal[i - columns] : 0) | (i < mask.length - columns ? horizontal[i + columns] : 0);
  }
  return out;
}

function keepLargestRegion(mask: Uint8Array, rows: number, columns: number): void {
  const label = new Int32Array(mask.length);
  const stack: number[] = [];
  let best = 0;
  let bestSize = 0;
  let next = 0;
  for (let seed = 0; seed < mask.length; seed++) {
    if (!mask[seed] || label[seed]) continue;
    next += 1;
    let size = 0;
    label[seed] = next;
    stack.push(seed);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      size += 1;
      const c = i % columns;
      const neighbours = [c > 0 ? i - 1 : -1, c < columns - 1 ? i + 1 : -1, i >= columns ? i - columns : -1, i < (rows - 1) * columns ? i + columns : -1];
      for (const n of neighbours) {
        if (n >= 0 && mask[n] && !label[n]) {
          label[n] = next;
          stack.push(n);
        }
      }
    }
    if (size > bestSize) [best, bestSize] = [next, size];
  }
  for (let i = 0; i < mask.length; i++) mask[i] = best !== 0 && label[i] === best ? 1 : 0;
}
