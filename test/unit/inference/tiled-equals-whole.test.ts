/** @jest-environment ./test/unit/inference/ort-environment.cjs */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createBackend, type InferenceBackend } from '../../../src/inference/backend.js';
import { loadModelFolder, type ModelEntry } from '../../../src/inference/registry.js';
import { runSlab } from '../../../src/inference/slab.js';
import { TiledSource } from '../../../src/inference/tiled-source.js';
import { tilingSpec, type TilingSpec } from '../../../src/inference/tiler.js';
import {
  FIXTURE_MODELS,
  maxNormalizedDifference,
  memorySource,
  readAll,
  syntheticGeometry,
  syntheticVolume,
} from './helpers.js';
import { wholeImageReference } from './whole-reference.js';

const ROWS = 48;
const COLUMNS = 64;

async function open(id: string): Promise<{ entry: ModelEntry; backend: InferenceBackend }> {
  const entry = await loadModelFolder(path.join(FIXTURE_MODELS, id));
  const backend = await createBackend(await readFile(entry.onnxPath), {
    provider: 'cpu',
    threads: 1,
    inputName: entry.manifest.tensors.input,
    outputName: entry.manifest.tensors.output,
  });
  return { entry, backend };
}

async function tiledVersusWhole(id: string, tile: TilingSpec['tile'], slices: number, halo?: number) {
  const { entry, backend } = await open(id);
  try {
    const base = tilingSpec(entry.manifest);
    const spec: TilingSpec = { ...base, tile, halo: { ...base.halo, inPlane: halo ?? base.halo.inPlane } };
    const volume = syntheticVolume(ROWS, COLUMNS, slices);
    const tiled = new TiledSource(memorySource(volume, syntheticGeometry(ROWS, COLUMNS, slices)), spec, (slab) =>
      runSlab(backend, spec, slab),
    );
    const output = await readAll(tiled);
    const whole = await wholeImageReference(backend, { ...base }, volume, ROWS, COLUMNS);
    return { difference: maxNormalizedDifference(output, whole, spec.huWindow), tiles: tiled.stats.tiles, output };
  } finally {
    await backend.close();
  }
}

describe('tiled output equals whole-image output', () => {
  const cases: Array<[string, number, number, number]> = [
    // model id, tile rows x columns (16 divides 48x64, 20 and 40 do not; 20x64 are strips), z tile (3d; 3 does not divide 8)
    ['test-2d-rf4', 16, 16, 1],
    ['test-2d-rf4', 20, 20, 1],
    ['test-2d-rf4', 20, 64, 1],
    ['test-25d-rf3', 16, 16, 1],
    ['test-25d-rf3', 40, 40, 1],
    ['test-3d-rf4x3', 16, 16, 4],
    ['test-3d-rf4x3', 20, 20, 3],
    ['test-sr2d-rf3', 16, 16, 1],
    ['test-sr2d-rf3', 20, 20, 1],
    ['test-sr2d-rf3', 20, 64, 1],
    ['test-sr3d-rf1', 16, 16, 4],
    ['test-sr3d-rf1', 20, 20, 3],
  ];
  it.each(cases)('%s with %ix%ix%i tiles', async (id, rows, columns, z) => {
    const slices = 8;
    const { difference, tiles, output } = await tiledVersusWhole(id, { rows, columns, z }, slices);
    expect(difference).toBeLessThanOrEqual(1e-4);
    expect(tiles).toBeGreaterThan(slices);
    const { manifest } = (await loadModelFolder(path.join(FIXTURE_MODELS, id)));
    expect(output).toHaveLength(slices * manifest.output.scale.z);
    expect(output[0]).toHaveLength(ROWS * COLUMNS * manifest.output.scale.inPlane ** 2);
  });

  it('differs from the whole image when the halo is below the receptive field (the check can fail)', async () => {
    const { difference } = await tiledVersusWhole('test-2d-rf4', { rows: 16, columns: 16, z: 1 }, 2, 2);
    expect(difference).toBeGreaterThan(1e-3);
  });
});
