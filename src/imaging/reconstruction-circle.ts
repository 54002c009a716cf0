/**
 * Many scanners write a fixed value below any real HU outside their reconstruction circle (-2048,
 * -3024). Filters must not smear it into the image, and fits must not read it as anatomy.
 */

/** Below this, a value is padding rather than air (air is -1000 HU, and its noise rarely reaches it). */
const PADDING_BELOW_HU = -1024;

/** The padding value of a slice: the one value all four 3x3 corners hold, when it is below -1024 HU. */
export function paddingValue(slice: Float32Array, rows: number, columns: number): number | undefined {
  const value = slice[0];
  if (!(value < PADDING_BELOW_HU)) return undefined;
  for (const [r0, c0] of [
    [0, 0],
    [0, columns - 3],
    [rows - 3, 0],
    [rows - 3, columns - 3],
  ]) {
    for (let r = r0; r < r0 + 3; r++) {
      for (let c = c0; c < c0 + 3; c++) if (slice[r * columns + c] !== value) return undefined;
    }
  }
  return value;
}

/** 1 inside the reconstruction circle (every pixel that is not padding), 0 outside. */
export function insideCircle(slice: Float32Array, padding: number | undefined): Uint8Array {
  const mask = new Uint8Array(slice.length);
  for (let i = 0; i < slice.length; i++) mask[i] = padding === undefined || slice[i] !== padding ? 1 : 0;
  return mask;
}
