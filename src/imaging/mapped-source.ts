import type { SeriesGeometry } from './geometry.js';
import { LruCache } from './lru-cache.js';
import type { SliceSource } from './slice-source.js';

/**
 * A SliceSource whose slice i is `transform(input slice i)`, computed when asked for; a couple of
 * results are kept so that a reader going back one slice does not recompute it.
 */
export function mapSlices(
  input: SliceSource,
  geometry: SeriesGeometry,
  transform: (slice: Float32Array, index: number) => Float32Array,
  cacheSlices = 2,
): SliceSource {
  const cache = new LruCache<number, Promise<Float32Array>>(cacheSlices);
  return {
    geometry,
    sliceCount: input.sliceCount,
    readSlice(index: number): Promise<Float32Array> {
      const cached = cache.get(index);
      if (cached) return cached;
      const result = input.readSlice(index).then((slice) => transform(slice, index));
      cache.set(index, result);
      result.catch(() => cache.delete(index));
      return result;
    },
  };
}
