/** @jest-environment ./test/unit/inference/ort-environment.cjs */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../src/errors.js';
import type { SliceSource } from '../../src/imaging/slice-source.js';
import { openSeries } from '../../src/imaging/load-series.js';
import { describeSeries } from '../../src/inference/accepts.js';
import { createInferenceEngine, type InferenceEngine } from '../../src/inference/engine.js';
import { modelStep } from '../../src/jobs/steps/model.js';
import { seriesTagsFromHeader } from '../../src/route/series-tags.js';
import { applyStep } from '../helpers/apply-step.js';

const DATA = path.resolve(process.cwd(), '../shared/data/ct');

async function open(folder: string) {
  const dir = path.join(DATA, folder);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(dir, f));
  const { source, instances } = await openSeries(files);
  const series = describeSeries(seriesTagsFromHeader(instances[0].header, undefined, false));
  return { source, series };
}

function firstSlices(source: SliceSource, n: number): SliceSource {
  return { ...source, geometry: { ...source.geometry, positions: source.geometry.positions.slice(0, n) }, sliceCount: n, readSlice: (i) => source.readSlice(i) };
}

describe('random-weight generators on real chest CT', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine({ modelRoots: [path.resolve(process.cwd(), 'models')], provider: 'cpu', threads: 2, workers: 1 });
  });
  afterAll(() => engine.close());

  it('harmonizes a sharp Siemens B70f series in worker threads and records the backend', async () => {
    const { source, series } = await open('lung-pet-ct-dx-A0002-siemens-B70f');
    const context = { inference: engine };
    const step = await modelStep.create({ model: 'harmonize-resnet25d-random', allowUntrained: true }, context);
    const output = await applyStep(step, firstSlices(source, 2), series);
    expect(output.geometry.rows).toBe(512);
    const slice = await output.readSlice(1);
    expect(slice).toHaveLength(512 * 512);
    expect(slice.every(Number.isFinite)).toBe(true);
    expect(step.report?.()).toEqual(expect.objectContaining({ backend: 'cpu', model: 'harmonize-resnet25d-random@0.0.0-random', tiles: 2 }));
  });

  it('refuses to harmonize a soft B30f series, naming the kernel', async () => {
    const { source, series } = await open('tcga-thca-DE-A4MA-siemens-B30f');
    const step = await modelStep.create({ model: 'harmonize-resnet25d-random', allowUntrained: true }, { inference: engine });
    const refusal = applyStep(step, source, series);
    await expect(refusal).rejects.toThrow(InvalidInputError);
    await expect(applyStep(step, source, series)).rejects.toThrow(/kernel B30f \(SIEMENS, family soft\) is not one it accepts/);
  });

  it('super-resolves 512 to 1024 with half the pixel spacing', async () => {
    const { source, series } = await open('lung-pet-ct-dx-A0001-philips-B');
    const step = await modelStep.create({ model: 'sr2x-edsr2d-random', allowUntrained: true }, { inference: engine });
    const output = await applyStep(step, firstSlices(source, 1), series);
    expect([output.geometry.rows, output.geometry.columns]).toEqual([1024, 1024]);
    expect(output.geometry.pixelSpacing[0]).toBeCloseTo(source.geometry.pixelSpacing[0] / 2, 6);
    expect(await output.readSlice(0)).toHaveLength(1024 * 1024);
  });
});
