import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../../src/errors.js';
import { loadModelFolder } from '../../../src/inference/registry.js';
import { tilingSpec } from '../../../src/inference/tiler.js';
import { InferenceWorkerPool } from '../../../src/inference/worker-pool.js';
import { FIXTURE_MODELS, syntheticVolume } from './helpers.js';

describe('inference worker pool', () => {
  let pool: InferenceWorkerPool;
  afterEach(() => pool.close());

  async function fixture() {
    const entry = await loadModelFolder(path.join(FIXTURE_MODELS, 'test-2d-rf4'));
    const model = { onnxPath: entry.onnxPath, inputName: 'input', outputName: 'output' };
    const slab = { rows: 32, columns: 32, sliceCount: 1, first: 0, slices: syntheticVolume(32, 32, 1), z0: 0, z1: 1 };
    return { model, spec: tilingSpec(entry.manifest), slab };
  }

  it('runs at most `size` slabs at once and queues the rest in order', async () => {
    pool = new InferenceWorkerPool({ size: 1, threads: 1 });
    const { model, spec, slab } = await fixture();
    const runs = [1, 2, 3].map(() => pool.runSlab(model, 'cpu', spec, slab));
    expect(pool.load()).toEqual({ running: 1, waiting: 2 });
    const results = await Promise.all(runs);
    expect(results.map((r) => r.tiles)).toEqual([4, 4, 4]);
    expect(results[0].slices[0]).toHaveLength(32 * 32);
    expect(pool.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('brings errors back from the worker as the same error class', async () => {
    pool = new InferenceWorkerPool({ size: 1, threads: 1 });
    const { model, spec, slab } = await fixture();
    const wrongScale = { ...spec, scale: { inPlane: 2, z: 1 } };
    const failing = pool.runSlab(model, 'cpu', wrongScale, slab);
    await expect(failing).rejects.toThrow(ConfigError);
    await expect(pool.runSlab(model, 'cpu', wrongScale, slab)).rejects.toThrow(/model output shape 4x1x24x24 differs from 4x1x48x48/);
    // The worker survives a failed slab.
    expect((await pool.runSlab(model, 'cpu', spec, slab)).tiles).toBe(4);
  });

  it('close() lets a running slab finish and rejects the waiting ones; it never ends a worker inside onnxruntime (that aborts the process)', async () => {
    pool = new InferenceWorkerPool({ size: 1, threads: 1 });
    const child = path.join(process.cwd(), 'test/unit/inference/close-mid-run.child.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], { cwd: process.cwd() });
    expect(JSON.parse(stdout)).toEqual({ running: `resolved ${2048 * 2048}`, waiting: 'rejected inference worker pool closed' });
  }, 60_000);
});
