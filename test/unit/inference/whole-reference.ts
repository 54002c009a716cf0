import type { InferenceBackend } from '../../../src/inference/backend.js';
import type { TilingSpec } from '../../../src/inference/tiler.js';

/**
 * The whole-image reference, written apart from the tiler: pad the whole normalized volume once by
 * the halo (same padding mode), run the model once per slice (2d, 2.5d) or once on the whole
 * volume (3d), crop the centre.
 */
function fold(i: number, n: number, mode: TilingSpec['padding']): number {
  if (mode === 'replicate' || n === 1) return Math.min(n - 1, Math.max(0, i));
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

export async function wholeImageReference(
  backend: InferenceBackend,
  spec: TilingSpec,
  volume: Float32Array[],
  rows: number,
  columns: number,
): Promise<Float32Array[]> {
  const [low, high] = spec.huWindow;
  const norm = (v: number) => (Math.min(high, Math.max(low, v)) - low) / (high - low) * 2 - 1;
  const back = (v: number) => (v + 1) / 2 * (high - low) + low;
  const h = spec.halo.inPlane;
  const [ph, pw] = [rows + 2 * h, columns + 2 * h];
  const plane = (z: number, dest: Float32Array, offset: number) => {
    const slice = volume[fold(z, volume.length, spec.padding)];
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        dest[offset + y * pw + x] = norm(slice[fold(y - h, rows, spec.padding) * columns + fold(x - h, columns, spec.padding)]);
      }
    }
  };
  const s = spec.scale.inPlane;
  const crop = (data: Float32Array, offset: number) => {
    const out = new Float32Array(s * rows * s * columns);
    for (let y = 0; y < s * rows; y++) {
      for (let x = 0; x < s * columns; x++) out[y * s * columns + x] = back(data[offset + (y + s * h) * s * pw + x + s * h]);
    }
    return out;
  };
  if (spec.dimensionality === '3d') {
    const hz = spec.halo.z;
    const depth = volume.length + 2 * hz;
    const data = new Float32Array(depth * ph * pw);
    for (let d = 0; d < depth; d++) plane(d - hz, data, d * ph * pw);
    const output = await backend.run({ data, shape: [1, 1, depth, ph, pw] });
    const sz = spec.scale.z;
    return Array.from({ length: sz * volume.length }, (_, j) => crop(output.data, (sz * hz + j) * s * ph * s * pw));
  }
  const k = spec.dimensionality === '2.5d' ? spec.neighbourSlices : 0;
  const out: Float32Array[] = [];
  for (let z = 0; z < volume.length; z++) {
    const data = new Float32Array((2 * k + 1) * ph * pw);
    for (let c = 0; c <= 2 * k; c++) plane(z + c - k, data, c * ph * pw);
    const output = await backend.run({ data, shape: [1, 2 * k + 1, ph, pw] });
    out.push(crop(output.data, 0));
  }
  return out;
}
