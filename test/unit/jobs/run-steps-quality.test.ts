/**
 * The quality report of a chain of steps: super-resolution's data consistency is measured against
 * what that step was given, so a harmonization before it is not counted as an inconsistency; and
 * every figure is measured on the output as its derived series stores it.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readImageHeaders } from '../../../src/dicom/file/image-headers.js';
import { openSeries } from '../../../src/imaging/load-series.js';
import { describeSeries } from '../../../src/inference/accepts.js';
import { measureQuality } from '../../../src/jobs/quality-report.js';
import { runSteps, type RunStepsResult } from '../../../src/jobs/run-steps.js';
import { defaultStepKinds } from '../../../src/jobs/steps/index.js';
import type { StepSpec } from '../../../src/route/rule.js';
import { seriesTagsFromHeader } from '../../../src/route/series-tags.js';

const seriesDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');

async function run(steps: StepSpec[]): Promise<{ files: string[]; result: RunStepsResult }> {
  const files = (await readdir(seriesDir)).sort().slice(12, 16).map((name) => path.join(seriesDir, name));
  const [first] = await readImageHeaders(files[0]!);
  const result = await runSteps({
    source: { files },
    series: describeSeries(seriesTagsFromHeader(first!.header, undefined, false)),
    steps,
    stepKinds: defaultStepKinds(),
    stepContext: {},
    outputDir: await mkdtemp(path.join(os.tmpdir(), 'ctprep-chain-quality-')),
    uidRoot: '2.25',
    nodeName: 'ct-preprocessing-node',
    clock: () => new Date(),
  });
  return { files, result };
}

async function consistency(steps: StepSpec[]): Promise<number> {
  return (await run(steps)).result.quality.dataConsistencyHu!;
}

it('measures the data consistency of super-resolution after a harmonization against the harmonized slices', async () => {
  const upsampled = await consistency([{ kind: 'bicubic-upsample' }]);
  const chained = await consistency([{ kind: 'gaussian-soften', options: { sigmaMm: 1.2 } }, { kind: 'bicubic-upsample' }]);
  // Bicubic reproduces a smoothed slice more closely than a sharp one; measured against the sharp
  // input, the chain's figure would be the Gaussian's whole change (tens of HU).
  expect(chained).toBeLessThan(upsampled);
  expect(chained).toBeLessThan(5);
}, 60_000);

it('measures noise and LAA-950 on the derived series as written, not on the unrounded output', async () => {
  const { files, result } = await run([{ kind: 'gaussian-soften', options: { sigmaMm: 0.6 } }]);
  const input = (await openSeries(files)).source;
  const written = (await openSeries(result.files)).source;
  const reread = (await measureQuality(input, written, [])).report;
  expect(result.quality.laa950.after).not.toBeNull();
  // Exactly: a Gaussian leaves some lung voxels between -950.5 and -950 HU, below -950 unrounded
  // and at -950 once stored.
  expect(result.quality.laa950).toEqual(reread.laa950);
  expect(result.quality.noiseHu).toEqual(reread.noiseHu);
}, 60_000);
