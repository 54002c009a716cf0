import path from 'node:path';
import type { SeriesGeometry } from '../../../src/imaging/geometry.js';
import type { SliceSource } from '../../../src/imaging/slice-source.js';

export const FIXTURE_MODELS = path.resolve(process.cwd(), 'test/fixtures/models');

export function syntheticGeometry(rows: number, columns: number, slices: number, spacing = 0.7): SeriesGeometry {
  return {
    rows,
    columns,
    pixelSpacing: [spacing, spacing],
    rowDirection: [1, 0, 0],
    columnDirection: [0, 1, 0],
    positions: Array.from({ length: slices }, (_, k) => [-100, -120, -50 + 2.5 * k] as const),
    sliceThickness: 2.5,
  };
}

/** A deterministic HU volume with structure at several scales and values beyond the HU window. */
export function syntheticVolume(rows: number, columns: number, slices: number): Float32Array[] {
  let state = 12345;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: slices }, (_, z) => {
    const slice = new Float32Array(rows * columns);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const smooth = 600 * Math.sin(x / 5 + z / 3) * Math.cos(y / 7 - z / 4);
        slice[y * columns + x] = -400 + smooth + 500 * (random() - 0.5) + (x > columns / 2 && y < rows / 3 ? 900 : 0);
      }
    }
    return slice;
  });
}

export function memorySource(volume: Float32Array[], geometry: SeriesGeometry): SliceSource & { reads: number } {
  const source = {
    geometry,
    sliceCount: volume.length,
    reads: 0,
    async readSlice(index: number) {
      source.reads += 1;
      const slice = volume[index];
      if (!slice) throw new RangeError(`no slice ${index}`);
      return slice;
    },
  };
  return source;
}

export async function readAll(source: SliceSource): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < source.sliceCount; i++) out.push(await source.readSlice(i));
  return out;
}

/** Largest difference on the network's normalized scale ([-1, 1] spans the HU window). */
export function maxNormalizedDifference(a: Float32Array[], b: Float32Array[], window: readonly [number, number]): number {
  if (a.length !== b.length) throw new Error(`slice counts differ: ${a.length} vs ${b.length}`);
  const scale = 2 / (window[1] - window[0]);
  let max = 0;
  a.forEach((slice, z) => {
    if (slice.length !== b[z].length) throw new Error(`slice ${z} sizes differ`);
    for (let i = 0; i < slice.length; i++) max = Math.max(max, Math.abs(slice[i] - b[z][i]) * scale);
  });
  return max;
}
