import type { SeriesGeometry, Vec3 } from '../imaging/geometry.js';

function shift(p: Vec3, direction: Vec3, distance: number): Vec3 {
  return [p[0] + direction[0] * distance, p[1] + direction[1] * distance, p[2] + direction[2] * distance];
}

/** Positions of sub-slices: slice k is split into scale slices centred at k + (a + 0.5) / scale - 0.5. */
function subdividePositions(positions: readonly Vec3[], scale: number): Vec3[] {
  if (scale === 1) return [...positions];
  const out: Vec3[] = [];
  positions.forEach((p, k) => {
    const neighbour = positions[k + 1] ?? positions[k - 1];
    const step: Vec3 = neighbour
      ? k + 1 < positions.length
        ? [neighbour[0] - p[0], neighbour[1] - p[1], neighbour[2] - p[2]]
        : [p[0] - neighbour[0], p[1] - neighbour[1], p[2] - neighbour[2]]
      : [0, 0, 0];
    for (let a = 0; a < scale; a++) out.push(shift(p, step, (a + 0.5) / scale - 0.5));
  });
  return out;
}

/**
 * Geometry of a model's output. In-plane sub-pixel upsampling (PixelShuffle / DepthToSpace,
 * or a transposed convolution with kernel == stride) splits each input pixel into scale x scale
 * pixels covering the same area, so the first output pixel centre moves a (scale-1)/(2 scale)
 * input pixel back along both axes; along z each slice is split the same way.
 */
export function scaledGeometry(geometry: SeriesGeometry, scale: { inPlane: number; z: number }): SeriesGeometry {
  const s = scale.inPlane;
  const back = (s - 1) / (2 * s);
  const [rowSpacing, columnSpacing] = geometry.pixelSpacing;
  const moveInPlane = (p: Vec3): Vec3 =>
    shift(shift(p, geometry.rowDirection, -back * columnSpacing), geometry.columnDirection, -back * rowSpacing);
  return {
    ...geometry,
    rows: geometry.rows * s,
    columns: geometry.columns * s,
    pixelSpacing: [rowSpacing / s, columnSpacing / s],
    positions: subdividePositions(geometry.positions, scale.z).map(moveInPlane),
    ...(geometry.sliceThickness !== undefined ? { sliceThickness: geometry.sliceThickness / scale.z } : {}),
  };
}
