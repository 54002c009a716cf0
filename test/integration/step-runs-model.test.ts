/** @jest-environment ./test/unit/inference/ort-environment.cjs */
/**
 * What a job records of a model step once its series is written: the backend the inference engine
 * ran it on, model id@version, its tiles, and where the time went. Real slices of a shared series,
 * a random-weight model in the engine's worker threads.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readImageHeaders } from '../../src/dicom/file/image-headers.js';
import { describeSeries } from '../../src/inference/accepts.js';
import { createInferenceEngine, type InferenceEngine } from '../../src/inference/engine.js';
import { runSteps } from '../../src/jobs/run-steps.js';
import { stepRunResult } from '../../src/jobs/step-runs.js';
import { defaultStepKinds } from '../../src/jobs/steps/index.js';
import { seriesTagsFromHeader } from '../../src/route/series-tags.js';

const seriesDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
let engine: InferenceEngine;

beforeAll(async () => {
  engine = await createInferenceEngine({ modelRoots: [path.resolve('models')], provider: 'cpu', threads: 2, workers: 1 });
});
afterAll(() => engine?.close());

it('records the backend, model@version and busy time of a model step after the slices are written', async () => {
  const files = (await readdir(seriesDir)).sort().slice(12, 15).map((name) => path.join(seriesDir, name));
  const [first] = await readImageHeaders(files[0]);
  const started: number[] = [];
  const result = await runSteps({
    source: { files },
    series: describeSeries(seriesTagsFromHeader(first.header, undefined, false)),
    steps: [{ kind: 'model', options: { model: 'harmonize-resnet25d-random', allowUntrained: true } }],
    stepKinds: defaultStepKinds(),
    stepContext: { inference: engine },
    outputDir: await mkdtemp(path.join(os.tmpdir(), 'ctprep-step-runs-')),
    uidRoot: '2.25',
    nodeName: 'ct-preprocessing-node',
    clock: () => new Date(),
    onStepStarted: async (index) => void started.push(index),
  });
  expect(started).toEqual([0]);
  const [step] = result.steps;
  // Read after the writer computed every slice, not when the step was applied.
  expect(step.report).toMatchObject({ backend: 'cpu', model: 'harmonize-resnet25d-random@0.0.0-random' });
  expect(step.report!.tiles).toBeGreaterThan(0);
  const recorded = stepRunResult(step);
  expect(recorded).toMatchObject({ backend: 'cpu', model: 'harmonize-resnet25d-random@0.0.0-random', voxels: 3 * 512 * 512 });
  expect(recorded.busySeconds).toBeGreaterThan(0);
  expect(recorded.finishedAt.getTime()).toBeGreaterThanOrEqual(step.timing.startedAt.getTime());
  // The model's own work is most of what the writer waited for: at least half its slab time in the workers.
  expect(recorded.busySeconds).toBeGreaterThan((step.report!.seconds as number) / 2);
});
