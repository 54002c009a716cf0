/** @jest-environment ./test/unit/inference/ort-environment.cjs */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SliceSource } from '../../src/imaging/slice-source.js';
import { openSeries } from '../../src/imaging/load-series.js';
import { describeSeries } from '../../src/inference/accepts.js';
import { createInferenceEngine } from '../../src/inference/engine.js';
import type { Provider } from '../../src/inference/providers.js';
import { modelStep } from '../../src/jobs/steps/model.js';
import { seriesTagsFromHeader } from '../../src/route/series-tags.js';
import { applyStep } from '../helpers/apply-step.js';

// The WebGPU provider runs here on Mesa's software Vulkan device (lavapipe, which
// scripts/install-test-deps.sh installs): the same code path as on a GPU, without one.
const SIEMENS_B70F = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');

async function firstSlice(): Promise<{ source: SliceSource; series: ReturnType<typeof describeSeries> }> {
  const files = (await readdir(SIEMENS_B70F)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(SIEMENS_B70F, f));
  const { source, instances } = await openSeries(files);
  const series = describeSeries(seriesTagsFromHeader(instances[0].header, undefined, false));
  const one: SliceSource = { ...source, geometry: { ...source.geometry, positions: source.geometry.positions.slice(0, 1) }, sliceCount: 1, readSlice: (i) => source.readSlice(i) };
  return { source: one, series };
}

async function harmonize(provider: Provider, lines: string[]) {
  const engine = await createInferenceEngine({ modelRoots: [path.resolve(process.cwd(), 'models')], provider, threads: 2, workers: 1, log: (line) => lines.push(line) });
  try {
    const { source, series } = await firstSlice();
    const step = await modelStep.create({ model: 'harmonize-v2-fold1' }, { inference: engine });
    const output = await applyStep(step, source, series);
    return { input: await source.readSlice(0), slice: await output.readSlice(0), report: step.report?.() };
  } finally {
    await engine.close();
  }
}

describe('inference on the WebGPU execution provider', () => {
  it('harmonizes a real B70f slice with the trained v2 to the HU the CPU provider gives, and records webgpu', async () => {
    const lines: string[] = [];
    const gpu = await harmonize('webgpu', lines);
    expect(lines).toEqual([]);
    expect(gpu.report).toEqual(expect.objectContaining({ backend: 'webgpu', model: expect.stringMatching(/^harmonize-v2-fold1@/) }));
    const cpu = await harmonize('cpu', lines);
    expect(cpu.report).toEqual(expect.objectContaining({ backend: 'cpu' }));
    let largest = 0;
    let changed = 0;
    for (let i = 0; i < cpu.slice.length; i += 1) {
      largest = Math.max(largest, Math.abs(gpu.slice[i] - cpu.slice[i]));
      changed += Math.abs(gpu.slice[i] - gpu.input[i]) / cpu.slice.length;
    }
    expect(largest).toBeLessThan(0.01); // HU; measured 0.0003 on lavapipe
    expect(changed).toBeGreaterThan(5);
  }, 240_000);

  it('falls back to CPU in one line where no GPU adapter is found, and refuses when fallback is off', async () => {
    // A Vulkan loader given no driver finds no adapter; that has to happen in a process of its own.
    const script = `
      import { readFile } from 'node:fs/promises';
      import { createBackend } from './src/inference/backend.ts';
      const bytes = await readFile('models/harmonize-v3-a0002-caudal/model.onnx');
      const lines = [];
      const options = { provider: 'webgpu', threads: 1, inputName: 'input', outputName: 'output', log: (l) => lines.push(l) };
      const backend = await createBackend(bytes, options);
      let refusal = '';
      await createBackend(bytes, { ...options, fallbackToCpu: false }).catch((e) => { refusal = e.message; });
      console.log(JSON.stringify({ name: backend.name, lines, refusal }));`;
    const env = { ...process.env, VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json' };
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: process.cwd() });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result.name).toBe('cpu');
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(/^inference: WebGPU execution provider unavailable \(.+\); running on CPU$/);
    expect(result.refusal).toMatch(/inference provider webgpu cannot be used/);
  }, 60_000);
});
