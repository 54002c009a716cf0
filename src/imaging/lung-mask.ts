import { InvalidInputError } from '../errors.js';
import { fillHoles2d } from './fill-holes.js';

export interface LungMaskOptions {
  /** Voxels below this are air or lung (default -320 HU). */
  readonly airThresholdHu?: number;
  /** The second largest component is kept as the other lung only when at least this fraction of the largest. */
  readonly secondLungFraction?: number;
}

/**
 * A simple lung mask for evaluation (LAA-950), not for diagnosis: threshold air, drop air that
 * touches the in-plane image border (outside the body), keep the largest one or two 3D connected
 * components (6-connectivity), then fill holes (vessels, nodules) slice by slice.
 */
export function lungMask(huSlices: readonly Float32Array[], rows: number, columns: number, options: LungMaskOptions = {}): Uint8Array[] {
  const threshold = options.airThresholdHu ?? -320;
  const plane = rows * columns;
  if (huSlices.some((s) => s.length !== plane)) throw new InvalidInputError(`every slice must have ${rows}x${columns} values`);
  const volume = new Uint8Array(plane * huSlices.length);
  huSlices.forEach((slice, z) => {
    for (let i = 0; i < plane; i++) volume[z * plane + i] = slice[i] < threshold ? AIR : 0;
  });
  const grid = { rows, columns, slices: huSlices.length };
  removeBorderAir(volume, grid);
  keepLargestComponents(volume, grid, options.secondLungFraction ?? 0.2);
  const masks = huSlices.map((_, z) => volume.slice(z * plane, (z + 1) * plane));
  masks.forEach((mask) => fillHoles2d(mask, rows, columns));
  return masks;
}

const AIR = 1;
const VISITED = 2;
const LUNG = 3;

interface Grid {
  readonly rows: number;
  readonly columns: number;
  readonly slices: number;
}

/** Visits the 6-connected voxels equal to `from` starting at `seed`, setting them to `to`; returns them. */
function floodFill(volume: Uint8Array, grid: Grid, seed: number, from: number, to: number, queue: Int32Array): number {
  const { columns, rows, slices } = grid;
  const plane = rows * columns;
  let head = 0;
  let tail = 0;
  volume[seed] = to;
  queue[tail++] = seed;
  while (head < tail) {
    const v = queue[head++];
    const inPlane = v % plane;
    const c = inPlane % columns;
    const r = (inPlane - c) / columns;
    const z = (v - inPlane) / plane;
    // Neighbours in -x, +x, -y, +y, -z, +z; each is marked as it is queued so it is queued once.
    if (c > 0 && volume[v - 1] === from) (volume[v - 1] = to), (queue[tail++] = v - 1);
    if (c < columns - 1 && volume[v + 1] === from) (volume[v + 1] = to), (queue[tail++] = v + 1);
    if (r > 0 && volume[v - columns] === from) (volume[v - columns] = to), (queue[tail++] = v - columns);
    if (r < rows - 1 && volume[v + columns] === from) (volume[v + columns] = to), (queue[tail++] = v + columns);
    if (z > 0 && volume[v - plane] === from) (volume[v - plane] = to), (queue[tail++] = v - plane);
    if (z < slices - 1 && volume[v + plane] === from) (volume[v + plane] = to), (queue[tail++] = v + plane);
  }
  return tail;
}

function removeBorderAir(volume: Uint8Array, grid: Grid): void {
  const queue = new Int32Array(volume.length);
  const { rows, columns } = grid;
  const plane = rows * columns;
  for (let z = 0; z < grid.slices; z++) {
    for (let r = 0; r < rows; r++) {
      const step = r === 0 || r === rows - 1 ? 1 : Math.max(1, columns - 1);
      for (let c = 0; c < columns; c += step) {
        const v = z * plane + r * columns + c;
        if (volume[v] === AIR) floodFill(volume, grid, v, AIR, 0, queue);
      }
    }
  }
}

function keepLargestComponents(volume: Uint8Array, grid: Grid, secondFraction: number): void {
  const queue = new Int32Array(volume.length);
  const kept: Int32Array[] = [];
  for (let v = 0; v < volume.length; v++) {
    if (volume[v] !== AIR) continue;
    const size = floodFill(volume, grid, v, AIR, VISITED, queue);
    if (kept.length < 2 || size > kept[1].length) {
      kept.push(queue.slice(0, size));
      kept.sort((a, b) => b.length - a.length);
      kept.length = Math.min(kept.length, 2);
    }
  }
  volume.fill(0);
  kept.forEach((voxels, i) => {
    if (i === 1 && voxels.length < secondFraction * kept[0].length) return;
    for (const v of voxels) volume[v] = LUNG;
  });
  for (let v = 0; v < volume.length; v++) volume[v] = volume[v] === LUNG ? 1 : 0;
}
