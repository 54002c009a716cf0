import { applySeparable, buildTaps, type AxisTaps } from './axis-taps.js';
import type { SeriesGeometry, Vec3 } from './geometry.js';
import { mapSlices } from './mapped-source.js';
import type { SliceSource } from './slice-source.js';

/**
 * In-plane 2x upsampling on the pixel-area convention (align_corners = false): output pixel o sits
 * at input coordinate o / 2 - 0.25, so the new first pixel centre is a quarter of an old pixel
 * before the old one along each in-plane axis, and the field of view is unchanged.
 */
export function upsampledGeometry(geometry: SeriesGeometry): SeriesGeometry {
  const [rowSpacing, columnSpacing] = geometry.pixelSpacing;
  const shift = (p: Vec3): Vec3 =>
    [0, 1, 2].map(
      (k) => p[k] - 0.25 * columnSpacing * geometry.rowDirection[k] - 0.25 * rowSpacing * geometry.columnDirection[k],
    ) as unknown as Vec3;
  return {
    ...geometry,
    rows: geometry.rows * 2,
    columns: geometry.columns * 2,
    pixelSpacing: [rowSpacing / 2, columnSpacing / 2],
    positions: geometry.positions.map(shift),
  };
}

/** Keys cubic convolution kernel with a = -0.5 (Catmull-Rom), as in common bicubic resizers. */
export function keysCubic(x: number, a = -0.5): number {
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
  if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
  return 0;
}

function cubicTaps(inputLength: number): AxisTaps {
  return buildTaps(inputLength * 2, inputLength, 4, (o) => {
    const x = o / 2 - 0.25;
    const base = Math.floor(x);
    const frac = x - base;
    return { first: base - 1, weights: [keysCubic(1 + frac), keysCubic(frac), keysCubic(1 - frac), keysCubic(2 - frac)] };
  });
}

function nearestTaps(inputLength: number): AxisTaps {
  return buildTaps(inputLength * 2, inputLength, 1, (o) => ({ first: Math.floor(o / 2), weights: [1] }));
}

function upsample(source: SliceSource, taps: (length: number) => AxisTaps): SliceSource {
  const { rows, columns } = source.geometry;
  const xTaps = taps(columns);
  const yTaps = taps(rows);
  return mapSlices(source, upsampledGeometry(source.geometry), (slice) => applySeparable(slice, rows, columns, xTaps, yTaps));
}

/** Classical SR baseline: bicubic (Keys, a = -0.5) in-plane 2x, edges replicated. */
export function bicubicUpsample2x(source: SliceSource): SliceSource {
  return upsample(source, cubicTaps);
}

/** Pixel replication baseline: each input pixel becomes a 2x2 block. */
export function nearestUpsample2x(source: SliceSource): SliceSource {
  return upsample(source, nearestTaps);
}
