import { axisStarts, padIndex, planTiles, slabDepth, slabInputRange, type TilingSpec } from '../../../src/inference/tiler.js';
import { scaledGeometry } from '../../../src/inference/output-geometry.js';
import { syntheticGeometry } from './helpers.js';

const spec2d: TilingSpec = {
  dimensionality: '2d',
  neighbourSlices: 0,
  halo: { inPlane: 4, z: 0 },
  tile: { rows: 16, columns: 16, z: 1 },
  scale: { inPlane: 1, z: 1 },
  padding: 'reflect',
  huWindow: [-1150, 350],
  batch: 4,
};

describe('tiler', () => {
  it('pads by reflection without repeating the edge, or by replication', () => {
    expect([-3, -2, -1, 0, 4, 5, 6].map((i) => padIndex(i, 5, 'reflect'))).toEqual([3, 2, 1, 0, 4, 3, 2]);
    expect([-2, -1, 5, 6].map((i) => padIndex(i, 5, 'replicate'))).toEqual([0, 0, 4, 4]);
    expect([-9, 9, 13].map((i) => padIndex(i, 3, 'reflect'))).toEqual([1, 1, 1]);
  });

  it('keeps every tile the same size, moving the last one inward', () => {
    expect(axisStarts(64, 16)).toEqual([0, 16, 32, 48]);
    expect(axisStarts(48, 20)).toEqual([0, 20, 28]);
    expect(axisStarts(10, 16)).toEqual([0]);
    const tiles = planTiles(48, 64, { rows: 20, columns: 20 });
    expect(tiles).toHaveLength(12);
    expect(new Set(tiles.map((t) => `${t.height}x${t.width}`))).toEqual(new Set(['20x20']));
    expect(planTiles(48, 64, { rows: 24, columns: 64 })).toEqual([
      { y0: 0, x0: 0, height: 24, width: 64 },
      { y0: 24, x0: 0, height: 24, width: 64 },
    ]);
  });

  it('sizes slabs from the batch (2d) or the z tile (3d), with z context', () => {
    expect(slabDepth(spec2d, 48, 64)).toBe(1);
    expect(slabDepth({ ...spec2d, tile: { rows: 64, columns: 64, z: 1 } }, 48, 64)).toBe(4);
    const spec3d: TilingSpec = { ...spec2d, dimensionality: '3d', halo: { inPlane: 4, z: 3 }, tile: { rows: 16, columns: 16, z: 4 } };
    expect(slabDepth(spec3d, 48, 64)).toBe(4);
    expect(slabInputRange(spec3d, 10, 4, 8)).toEqual([1, 10]);
    expect(slabInputRange({ ...spec2d, dimensionality: '2.5d', neighbourSlices: 2 }, 10, 0, 1)).toEqual([0, 3]);
  });

  it('halves pixel spacing and moves the first pixel centre for 2x super-resolution', () => {
    const geometry = syntheticGeometry(4, 6, 3, 0.8);
    const out = scaledGeometry(geometry, { inPlane: 2, z: 2 });
    expect(out.rows).toBe(8);
    expect(out.columns).toBe(12);
    expect(out.pixelSpacing).toEqual([0.4, 0.4]);
    expect(out.positions).toHaveLength(6);
    // first input pixel centre -100,-120 covers [-100.4, -99.6]: output centres at -100.2 and -99.8
    expect(out.positions[0][0]).toBeCloseTo(-100.2, 10);
    expect(out.positions[0][1]).toBeCloseTo(-120.2, 10);
    // slices 2.5 mm apart split into two, centred at -0.625 and +0.625 mm around each input slice
    expect(out.positions.map((p) => p[2])).toEqual([-50.625, -49.375, -48.125, -46.875, -45.625, -44.375]);
    expect(out.sliceThickness).toBe(1.25);
  });
});
