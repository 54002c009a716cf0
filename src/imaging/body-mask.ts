import { fillHoles2d } from './fill-holes.js';

/**
 * The patient's body on each slice, for full-range quality figures: pixels above -500 HU, the
 * largest 4-connected region (the table and cables are smaller and apart), holes filled (lungs).
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
