/**
 * Child of worker-pool.test.ts: closes the pool while a slab runs in onnxruntime, in a process of
 * its own, since the failure this guards against aborts the whole process. Prints how the running
 * slab ended.
 */
import path from 'node:path';
import { loadModelFolder } from '../../../src/inference/registry.js';
import { tilingSpec } from '../../../src/inference/tiler.js';
import { InferenceWorkerPool } from '../../../src/inference/worker-pool.js';
import { FIXTURE_MODELS } from './helpers.js';

const entry = await loadModelFolder(path.join(FIXTURE_MODELS, 'test-2d-rf4'));
const model = { onnxPath: entry.onnxPath, inputName: 'input', outputName: 'output' };
const size = 2048;
const slab = { rows: size, columns: size, sliceCount: 1, first: 0, slices: [new Float32Array(size * size).fill(-500)], z0: 0, z1: 1 };
const pool = new InferenceWorkerPool({ size: 1, threads: 1 });
const warm = await pool.runSlab(model, 'cpu', tilingSpec(entry.manifest), slab);
const running = pool.runSlab(model, 'cpu', tilingSpec(entry.manifest), slab).then(
  (result) => `resolved ${result.slices[0].length}`,
  (error: Error) => `rejected ${error.message}`,
);
const waiting = pool.runSlab(model, 'cpu', tilingSpec(entry.manifest), slab).then(() => 'resolved', (error: Error) => `rejected ${error.message}`);
// A third of a run's time: the second slab is inside onnxruntime's run when close() is called.
await new Promise((resolve) => setTimeout(resolve, (warm.seconds * 1000) / 3));
await pool.close();
console.log(JSON.stringify({ running: await running, waiting: await waiting }));
