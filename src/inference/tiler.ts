import type { ModelManifest } from './manifest.js';

/**
 * Pure functions that split slices into tiles with a halo and put valid tile centres back.
 * Both the tiled run and the whole-image run extend the image beyond its edges the same way
 * (reflect or replicate), so a tile whose halo covers the receptive field gives exactly the
 * whole-image output in its centre.
 */

export type Padding = 'reflect' | 'replicate';

/** What the tiler needs from a manifest, as plain data (it crosses into worker threads). */
export interface TilingSpec {
  readonly dimensionality: '2d' | '2.5d' | '3d';
  /** 2.5d: slices on each side given as channels. */
  readonly neighbourSlices: number;
  readonly halo: { readonly inPlane: number; readonly z: number };
  /** Tile rows and columns in input pixels; z: output slices (in input slice units) per 3d slab. */
  readonly tile: { readonly rows: number; readonly columns: number; readonly z: number };
  readonly scale: { readonly inPlane: number; readonly z: number };
  readonly padding: Padding;
  readonly huWindow: readonly [number, number];
  /** Most tiles in one run call. */
  readonly batch: number;
}

export function tilingSpec(manifest: ModelManifest): TilingSpec {
  return {
    dimensionality: manifest.dimensionality,
    neighbourSlices: manifest.neighbourSlices,
    halo: { ...manifest.halo },
    tile: { rows: tileRows(manifest), columns: tileColumns(manifest), z: manifest.tile.z },
    scale: { ...manifest.output.scale },
    padding: manifest.padding,
    huWindow: [...manifest.normalization.huWindow],
    batch: manifest.batch,
  };
}

export function tileRows(manifest: ModelManifest): number {
  const { inPlane } = manifest.tile;
  return typeof inPlane === 'number' ? inPlane : inPlane[0];
}

export function tileColumns(manifest: ModelManifest): number {
  const { inPlane } = manifest.tile;
  return typeof inPlane === 'number' ? inPlane : inPlane[1];
}

/** Maps an index outside [0, n) back inside, as the padding mode extends the image. */
export function padIndex(i: number, n: number, mode: Padding): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'replicate' || n === 1) return i < 0 ? 0 : n - 1;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** Slices of input context needed on each side of a slab. */
export function zContext(spec: TilingSpec): number {
  if (spec.dimensionality === '2.5d') return spec.neighbourSlices;
  return spec.dimensionality === '3d' ? spec.halo.z : 0;
}

/**
 * Tile starts along one axis: every tile has the same length (min(tile, length)) so tiles batch
 * together; when the tile does not divide the length, the last tile moves inward and overlaps
 * its neighbour (both compute the same valid values there).
 */
export function axisStarts(length: number, tile: number): number[] {
  const size = Math.min(tile, length);
  const starts: number[] = [];
  for (let start = 0; start + size < length; start += size) starts.push(start);
  starts.push(length - size);
  return starts;
}

export interface TileRect {
  readonly y0: number;
  readonly x0: number;
  readonly height: number;
  readonly width: number;
}

export function planTiles(rows: number, columns: number, tile: { rows: number; columns: number }): TileRect[] {
  const height = Math.min(tile.rows, rows);
  const width = Math.min(tile.columns, columns);
  return axisStarts(rows, tile.rows).flatMap((y0) => axisStarts(columns, tile.columns).map((x0) => ({ y0, x0, height, width })));
}

/** Output slices (in input slice units) computed per slab: one 3d tile depth, or enough 2d slices to fill a batch. */
export function slabDepth(spec: TilingSpec, rows: number, columns: number): number {
  if (spec.dimensionality === '3d') return spec.tile.z;
  return Math.max(1, Math.floor(spec.batch / planTiles(rows, columns, spec.tile).length));
}

/** Input slice range [first, end) a slab of output range [z0, z1) reads, clipped to the series. */
export function slabInputRange(spec: TilingSpec, sliceCount: number, z0: number, z1: number): [number, number] {
  const context = zContext(spec);
  return [Math.max(0, z0 - context), Math.min(sliceCount, z1 + context)];
}

/** Clips HU to the window and maps it to [-1, 1]. */
export function normalize(hu: Float32Array, window: readonly [number, number]): Float32Array {
  const [low, high] = window;
  const scale = 2 / (high - low);
  const out = new Float32Array(hu.length);
  for (let i = 0; i < hu.length; i++) {
    const v = hu[i] < low ? low : hu[i] > high ? high : hu[i];
    out[i] = (v - low) * scale - 1;
  }
  return out;
}

/** Maps the network's [-1, 1] scale back to HU (not clipped: the writer clamps to the stored range). */
export function denormalize(value: number, window: readonly [number, number]): number {
  return (value + 1) * 0.5 * (window[1] - window[0]) + window[0];
}

/** Index maps for one padded patch: source row and column of every patch row and column. */
export function patchIndexMap(start: number, length: number, size: number, mode: Padding): Int32Array {
  const map = new Int32Array(length);
  for (let i = 0; i < length; i++) map[i] = padIndex(start + i, size, mode);
  return map;
}

/** Copies a padded patch (rowMap x columnMap) of a row-major slice into dest at offset. */
export function copyPatch(
  slice: Float32Array,
  columns: number,
  rowMap: Int32Array,
  columnMap: Int32Array,
  dest: Float32Array,
  offset: number,
): void {
  const width = columnMap.length;
  for (let r = 0; r < rowMap.length; r++) {
    const base = rowMap[r] * columns;
    const out = offset + r * width;
    for (let c = 0; c < width; c++) dest[out + c] = slice[base + columnMap[c]];
  }
}

/** Writes the valid centre of one output patch into a row-major output slice, back in HU. */
export function pasteCentre(
  patch: Float32Array,
  patchOffset: number,
  patchWidth: number,
  centre: { top: number; left: number; height: number; width: number },
  dest: Float32Array,
  destColumns: number,
  destTop: number,
  destLeft: number,
  window: readonly [number, number],
): void {
  for (let r = 0; r < centre.height; r++) {
    const from = patchOffset + (centre.top + r) * patchWidth + centre.left;
    const to = (destTop + r) * destColumns + destLeft;
    for (let c = 0; c < centre.width; c++) dest[to + c] = denormalize(patch[from + c], window);
  }
}
