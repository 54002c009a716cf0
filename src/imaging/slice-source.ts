import type { SeriesGeometry } from './geometry.js';

/**
 * A series as a stack of slices in Hounsfield units, read one slice at a time so that memory does
 * not grow with the number of slices. Every processing step takes a SliceSource and returns a new
 * one; the derived-series writer reads the last one from index 0 upwards.
 *
 * Contract: readSlice(i) returns a Float32Array of geometry.rows * geometry.columns HU values,
 * row-major (index = row * columns + column). The caller must not modify the returned array.
 * Sources may cache a small window of slices; callers read mostly in ascending order.
 */
export interface SliceSource {
  readonly geometry: SeriesGeometry;
  readonly sliceCount: number;
  readSlice(index: number): Promise<Float32Array>;
}
