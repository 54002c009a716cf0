/**
 * npx tsx scripts/export-v3-training-data.ts [--data DIR] [--out DIR]
 *
 * Training data of generator v3 (training/train_harmonize_v3.py), made by the node's own code so
 * that what the network learns to correct is what the node delivers. For each real natural pair of
 * scripts/eval.ts and each split (calibrated_on = cranial or caudal: the shared slices paired by
 * position, sorted along z, cut in halves, exactly as eval.ts does), the calibration half only:
 *  - sharp.f32: the sharp slices (HU);
 *  - soft.f32: the soft reconstruction at the same positions (the target);
 *  - transfer.f32: the sharp slices through the kernel transfer fitted on that half (TransferFitter,
 *    applied with radialFilter): v3's input;
 *  - blind.f32: the sharp slices through the shipped blind classical step (Gaussian, BLIND_SIGMA_MM):
 *    v3_blind's input.
 * Plus b30f.f32, the TCGA B30f series (a soft kernel, for simulated pairs). Slices are float32,
 * little endian, rows x columns each, sorted along z; index.json lists every file with its shape,
 * pixel spacing and slice positions. Default output: var/v3-training/ (git-ignored).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TransferFitter } from '../src/calibrate/fit-transfer.js';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { radialFilter } from '../src/imaging/radial-response.js';
import { openFolder, pairByPosition, readAll, withSlices } from './eval-models.js';
import { BLIND_SIGMA_MM, calibrationHalves, PAIRS, SPLITS } from './harmonize-pairs.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(process.cwd(), '../shared/data/ct') },
    out: { type: 'string', default: path.resolve(process.cwd(), 'var/v3-training') },
  },
});
const out = args.out!;
await mkdir(out, { recursive: true });

async function writeSlices(file: string, slices: readonly Float32Array[]): Promise<void> {
  const bytes = Buffer.alloc(slices.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const slice of slices) {
    Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).copy(bytes, offset);
    offset += slice.byteLength;
  }
  await writeFile(path.join(out, file), bytes);
}

const entries = [];
for (const pair of PAIRS) {
  const loose = { spacingFraction: Number.POSITIVE_INFINITY };
  const sharp = await openFolder(path.join(args.data!, pair.sharp), loose);
  const soft = await openFolder(path.join(args.data!, pair.soft), loose);
  const halves = calibrationHalves(sharp.geometry, pairByPosition(sharp.geometry, soft.geometry));
  for (const calibratedOn of SPLITS) {
    const calibration = halves[calibratedOn];
    const sharpSlices = await readAll(sharp, calibration.map(([i]) => i));
    const softSlices = await readAll(soft, calibration.map(([, j]) => j));
    const fitter = new TransferFitter(sharp.geometry);
    sharpSlices.forEach((slice, i) => fitter.add({ a: slice, b: softSlices[i] }));
    const fit = fitter.finish();
    if (fit.sharper !== 'a') throw new Error(`${pair.name}: the fit found ${pair.soft} the sharper`);
    const transfer = radialFilter(sharp.geometry, fit.response);
    const geometry = withSlices(sharp.geometry, calibration.map(([i]) => i));
    const blind = await readAll(gaussianSoften(memorySource(geometry, sharpSlices), { sigmaMm: BLIND_SIGMA_MM }), sharpSlices.map((_, i) => i));
    const stem = `${pair.key}-${calibratedOn}`;
    const files = { sharp: `${stem}-sharp.f32`, soft: `${stem}-soft.f32`, transfer: `${stem}-transfer.f32`, blind: `${stem}-blind.f32` };
    await writeSlices(files.sharp, sharpSlices);
    await writeSlices(files.soft, softSlices);
    await writeSlices(files.transfer, sharpSlices.map((slice) => transfer(slice)));
    await writeSlices(files.blind, blind);
    entries.push({
      pair: pair.name, key: pair.key, calibratedOn, slices: sharpSlices.length, rows: geometry.rows, columns: geometry.columns,
      pixelSpacingMm: geometry.pixelSpacing, z: geometry.positions.map((p) => p[2]), files,
      response: fit.response, residualNps: fit.residualNps, residualStdHu: fit.residualStdHu, blindSigmaMm: BLIND_SIGMA_MM,
    });
    console.log(`${stem}: ${sharpSlices.length} slices, residual ${fit.residualStdHu.toFixed(1)} HU`);
  }
}

const b30f = await openFolder(path.join(args.data!, 'tcga-thca-DE-A4MA-siemens-B30f'));
const b30fSlices = await readAll(b30f, Array.from({ length: b30f.sliceCount }, (_, i) => i));
await writeSlices('b30f.f32', b30fSlices);
const simulationSources = [{ name: 'TCGA-DE-A4MA B30f', file: 'b30f.f32', slices: b30fSlices.length, rows: b30f.geometry.rows, columns: b30f.geometry.columns, pixelSpacingMm: b30f.geometry.pixelSpacing, z: b30f.geometry.positions.map((p) => p[2]) }];
await writeFile(path.join(out, 'index.json'), JSON.stringify({ pairs: entries, simulationSources }, null, 1));
console.log(`wrote ${out}/index.json`);
