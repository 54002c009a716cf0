import { InvalidInputError } from '../errors.js';
import type { SeriesGeometry } from './geometry.js';
import type { SliceSource } from './slice-source.js';

/** A SliceSource over slices already in memory (tests, small synthetic volumes). */
export function memorySource(geometry: SeriesGeometry, slices: readonly Float32Array[]): SliceSource {
  if (slices.length !== geometry.positions.length) {
    throw new InvalidInputError(`${slices.length} slices for ${geometry.positions.length} positions`);
  }
  for (const [i, slice] of slices.entries()) {
    if (slice.length !== geometry.rows * geometry.columns) {
      throw new InvalidInputError(`slice ${i} has ${slice.length} values, ${geometry.rows}x${geometry.columns} expected`);
    }
  }
  return {
    geometry,
    sliceCount: slices.length,
    async readSlice(index) {
      const slice = slices[index];
      if (!slice) throw new RangeError(`slice index ${index} outside 0..${slices.length - 1}`);
      return slice;
    },
  };
}
