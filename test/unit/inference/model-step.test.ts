/** @jest-environment ./test/unit/inference/ort-environment.cjs */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../../src/errors.js';
import { createBackend } from '../../../src/inference/backend.js';
import { createInferenceEngine, type InferenceEngine } from '../../../src/inference/engine.js';
import type { Provider } from '../../../src/inference/providers.js';
import { runSlab } from '../../../src/inference/slab.js';
import { modelOutputSource } from '../../../src/inference/model-source.js';
import { tilingSpec } from '../../../src/inference/tiler.js';
import type { SeriesDescriptor } from '../../../src/inference/accepts.js';
import { modelStep } from '../../../src/jobs/steps/model.js';
import { defaultStepKinds, stepSpecProblems } from '../../../src/jobs/steps/index.js';
import { FIXTURE_MODELS, maxNormalizedDifference, memorySource, readAll, syntheticGeometry, syntheticVolume } from './helpers.js';
import { applyStep } from '../../helpers/apply-step.js';

const SHARP_SIEMENS: SeriesDescriptor = { modality: 'CT', manufacturer: 'SIEMENS', convolutionKernel: ['B70f'] };

async function engineWith(roots: string[], log?: (line: string) => void, provider: Provider = 'cpu') {
  return createInferenceEngine({ modelRoots: roots, provider, threads: 1, workers: 2, log });
}

/** Counts the slabs an engine is asked to run. */
function counting(engine: InferenceEngine): InferenceEngine & { slabs: number } {
  const counted = {
    ...engine,
    slabs: 0,
    runSlab: (...args: Parameters<InferenceEngine['runSlab']>) => {
      counted.slabs += 1;
      return engine.runSlab(...args);
    },
  };
  return counted;
}

describe('model step', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await engineWith([FIXTURE_MODELS]);
  });
  afterAll(() => engine.close());

  it('runs a model in worker threads, equal to the in-process tiler (with its counterpart outside the window), and reports the backend', async () => {
    const volume = syntheticVolume(40, 52, 5);
    const input = memorySource(volume, syntheticGeometry(40, 52, 5));
    const step = await modelStep.create({ model: 'test-2d-rf4' }, { inference: engine });
    const output = await applyStep(step, input, SHARP_SIEMENS);
    const slices = await readAll(output);

    const entry = engine.registry.getModel('test-2d-rf4');
    const backend = await createBackend(await readFile(entry.onnxPath), { provider: 'cpu', threads: 1, inputName: 'input', outputName: 'output' });
    const spec = tilingSpec(entry.manifest);
    const direct = await readAll(modelOutputSource(entry.manifest, input, (slab) => runSlab(backend, spec, slab)));
    await backend.close();

    expect(maxNormalizedDifference(slices, direct, spec.huWindow)).toBeLessThanOrEqual(1e-6);
    expect(step.generated).toBe(true);
    expect(step.label).toBe('HARMONIZED-UNTRAINED');
    expect(step.derivation).toContain('test-2d-rf4@1.0.0');
    expect(step.report?.()).toEqual(expect.objectContaining({ backend: 'cpu', model: 'test-2d-rf4@1.0.0', tiles: 5 * 12 }));
  });

  it('chains harmonization then 2x super-resolution, keeping geometry right', async () => {
    const input = memorySource(syntheticVolume(32, 32, 3), syntheticGeometry(32, 32, 3, 0.8));
    const context = { inference: engine };
    const harmonize = await modelStep.create({ model: 'test-25d-rf3' }, context);
    const superres = await modelStep.create({ model: 'test-sr2d-rf3' }, context);
    const output = (await superres.apply(await harmonize.apply({ source: input, series: SHARP_SIEMENS }))).source;
    expect(output.geometry.rows).toBe(64);
    expect(output.geometry.pixelSpacing).toEqual([0.4, 0.4]);
    expect(output.sliceCount).toBe(3);
    const slices = await readAll(output);
    expect(slices[2]).toHaveLength(64 * 64);
    expect(slices[2].every(Number.isFinite)).toBe(true);
    expect(harmonize.report?.()).toEqual(expect.objectContaining({ backend: 'cpu', model: 'test-25d-rf3@1.0.0' }));
    expect(superres.report?.()).toEqual(expect.objectContaining({ backend: 'cpu', model: 'test-sr2d-rf3@1.0.0' }));
  });
});

describe('model step refusals', () => {
  let root: string;
  let engine: InferenceEngine & { slabs: number };
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'models-'));
    const variants: Array<[string, string, Record<string, unknown>]> = [
      ['sharp-only', 'test-2d-rf4', { modalities: ['CT'], kernelFamilies: ['sharp'], matrixSizes: [[512, 512]], pixelSpacingMm: [0.4, 1.0] }],
      ['sr-512', 'test-sr2d-rf3', { modalities: ['CT'], matrixSizes: [[512, 512]] }],
    ];
    for (const [id, from, accepts] of variants) {
      await cp(path.join(FIXTURE_MODELS, from), path.join(root, id), { recursive: true });
      const manifest = JSON.parse(await readFile(path.join(root, id, 'manifest.json'), 'utf8'));
      await writeFile(path.join(root, id, 'manifest.json'), JSON.stringify({ ...manifest, id, accepts }));
    }
    engine = counting(await engineWith([root]));
  });
  afterAll(() => engine.close());

  async function refusal(model: string, series: SeriesDescriptor, size: number, spacing = 0.7): Promise<unknown> {
    const step = await modelStep.create({ model }, { inference: engine });
    const geometry = syntheticGeometry(size, size, 2, spacing);
    return applyStep(step, { geometry, sliceCount: 2, readSlice: async () => new Float32Array(size * size) }, series).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('refuses a soft kernel for a sharp-kernel model', async () => {
    const error = await refusal('sharp-only', { modality: 'CT', manufacturer: 'SIEMENS', convolutionKernel: ['B30f'] }, 512);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/model sharp-only@1.0.0 refuses this series: kernel B30f \(SIEMENS, family soft\) is not one it accepts \(family sharp\)/);
  });

  it('refuses a 1024 matrix for a 512 -> 1024 model', async () => {
    const error = await refusal('sr-512', SHARP_SIEMENS, 1024);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/sr-512@1.0.0 refuses this series: matrix 1024x1024 is not one it accepts \(512x512\)/);
  });

  it('refuses an MR series', async () => {
    const error = await refusal('sharp-only', { modality: 'MR', manufacturer: 'SIEMENS', convolutionKernel: [] }, 512);
    expect((error as Error).message).toMatch(/refuses this series: modality MR is not one it accepts \(CT\)/);
  });

  it('refuses a pixel spacing outside the range', async () => {
    const error = await refusal('sharp-only', SHARP_SIEMENS, 512, 1.4);
    expect((error as Error).message).toMatch(/pixel spacing 1.4\\1.4 mm is outside the accepted 0.4-1 mm/);
  });

  it('sends nothing to the workers when it refuses', () => {
    expect(engine.slabs).toBe(0);
  });

  it('accepts the series its manifest describes', async () => {
    expect(await refusal('sharp-only', SHARP_SIEMENS, 512)).toBeUndefined();
  });
});

describe('CUDA requested on a machine without it', () => {
  it('falls back to CPU, says so in one line, and records cpu on the job', async () => {
    const lines: string[] = [];
    const engine = await engineWith([FIXTURE_MODELS], (line) => lines.push(line), 'cuda');
    try {
      const step = await modelStep.create({ model: 'test-2d-rf4' }, { inference: engine });
      await readAll(await applyStep(step, memorySource(syntheticVolume(24, 24, 4), syntheticGeometry(24, 24, 4)), SHARP_SIEMENS));
      expect(step.report?.()).toEqual(expect.objectContaining({ backend: 'cpu' }));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/CUDA execution provider unavailable \(.+\); running on CPU/);
    } finally {
      await engine.close();
    }
  });

  it('falls back in the backend itself, and refuses when fallback is turned off', async () => {
    const bytes = await readFile(path.join(FIXTURE_MODELS, 'test-2d-rf4', 'model.onnx'));
    const lines: string[] = [];
    const options = { provider: 'cuda' as const, threads: 1, inputName: 'input', outputName: 'output', log: (l: string) => lines.push(l) };
    const backend = await createBackend(bytes, options);
    expect(backend.name).toBe('cpu');
    expect(lines).toHaveLength(1);
    await backend.close();
    await expect(createBackend(bytes, { ...options, fallbackToCpu: false })).rejects.toThrow(/inference provider cuda cannot be used/);
  });
});

describe('untrained random-weight generators', () => {
  it('cannot be named by a rule unless it says allowUntrained', async () => {
    const engine = await engineWith([path.resolve(process.cwd(), 'models')]);
    try {
      const context = { inference: engine };
      await expect(modelStep.create({ model: 'sr2x-edsr2d-random' }, context)).rejects.toThrow(/untrained random weights/);
      const step = await modelStep.create({ model: 'sr2x-edsr2d-random', allowUntrained: true }, context);
      expect(step.label).toBe('SR2X-GAN-UNTRAINED');
      expect(step.derivation).toContain('UNTRAINED-RANDOM-WEIGHTS, NOT A TRAINED MODEL');
    } finally {
      await engine.close();
    }
  });

  it('runs a model trained to correct another step only as that step\'s refine (v3_blind after its Gaussian, v3 after the transfer)', async () => {
    const engine = await engineWith([path.resolve(process.cwd(), 'models')]);
    try {
      const blind = 'harmonize-v3-blind-cranial';
      await expect(modelStep.create({ model: blind }, { inference: engine })).rejects.toThrow(/trained to correct the output of gaussian-soften/);
      await expect(modelStep.create({ model: blind }, { inference: engine, refining: 'kernel-transfer' })).rejects.toThrow(/gaussian-soften/);
      expect((await modelStep.create({ model: blind }, { inference: engine, refining: 'gaussian-soften' })).derivation).toContain(blind);
      // The same, found when a rule is saved.
      const models = new Map(engine.registry.ids().map((id) => [id, engine.registry.getModel(id).manifest]));
      const kinds = defaultStepKinds();
      expect(stepSpecProblems({ kind: 'model', options: { model: blind } }, ['steps', 0], kinds, { models })).toEqual([
        expect.stringMatching(/^steps\[0\]\.options\.model: model 'harmonize-v3-blind-cranial' was trained to correct the output of gaussian-soften/),
      ]);
      expect(stepSpecProblems({ kind: 'gaussian-soften', options: { sigmaMm: 0.6, refine: { kind: 'model', options: { model: blind } } } }, ['steps', 0], kinds, { models })).toEqual([]);
      expect(stepSpecProblems({ kind: 'kernel-transfer', options: { refine: { kind: 'model', options: { model: blind } } } }, ['steps', 0], kinds, { models })).toEqual([
        expect.stringMatching(/^steps\[0\]\.options\.refine\.options\.model: .*gaussian-soften/),
      ]);
      expect(stepSpecProblems({ kind: 'kernel-transfer', options: { refine: { kind: 'model', options: { model: 'harmonize-v3-cranial' } } } }, ['steps', 0], kinds, { models })).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
