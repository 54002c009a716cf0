/**
 * npx tsx scripts/export-v3-training-data.ts [--data DIR] [--out DIR]
 * npx tsx scripts/export-v3-training-data.ts --calibration FILE --sharp DIR --soft DIR --key NAME [--out DIR]
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
 *
 * With --calibration (a site's own calibration, as config/calibrations/ or the API exports it) and
 * its natural pair's two series folders: one entry, calibratedOn "whole", of every slice the two
 * share, its transfer.f32 made by that very calibration (what the node applies), and the scanner and
 * kernels the calibration is keyed by; no simulation source beyond the pair's own soft slices. Then
 * `train_harmonize_v3.py --data DIR --split whole --pairs NAME` trains the v3 of that calibration,
 * which kernel-transfer's refine "per-calibration" runs on that scanner's series only.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readCalibrationFile } from '../src/calibrate/catalog.js';
import { calibrationKeyOf, type Calibration, type CalibrationKey } from '../src/calibrate/calibration.js';
import { TransferFitter } from '../src/calibrate/fit-transfer.js';
import { readImageHeaders } from '../src/dicom/file/image-headers.js';
import type { SeriesGeometry } from '../src/imaging/geometry.js';
import type { RadialResponse } from '../src/imaging/radial-response.js';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import { describeSeries } from '../src/inference/accepts.js';
import { seriesTagsFromHeader } from '../src/route/series-tags.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { radialFilter } from '../src/imaging/radial-response.js';
import { openFolder, readAll, withSlices } from './eval-models.js';
import { BLIND_SIGMA_MM, calibrationHalves, openPair, PAIRS, SPLITS } from './harmonize-pairs.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(process.cwd(), '../shared/data/ct') },
    out: { type: 'string', default: path.resolve(process.cwd(), 'var/v3-training') },
    calibration: { type: 'string' },
    sharp: { type: 'string' },
    soft: { type: 'string' },
    key: { type: 'string' },
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

/** The four inputs of one pair's slices (sharp, soft, transfer, blind) under `stem`, and its index entry. */
async function writeEntry(stem: string, geometry: SeriesGeometry, sharpSlices: Float32Array[], softSlices: Float32Array[], response: RadialResponse) {
  const transfer = radialFilter(geometry, response);
  const blind = await readAll(gaussianSoften(memorySource(geometry, sharpSlices), { sigmaMm: BLIND_SIGMA_MM }), sharpSlices.map((_, i) => i));
  const files = { sharp: `${stem}-sharp.f32`, soft: `${stem}-soft.f32`, transfer: `${stem}-transfer.f32`, blind: `${stem}-blind.f32` };
  await writeSlices(files.sharp, sharpSlices);
  await writeSlices(files.soft, softSlices);
  await writeSlices(files.transfer, sharpSlices.map((slice) => transfer(slice)));
  await writeSlices(files.blind, blind);
  return {
    slices: sharpSlices.length, rows: geometry.rows, columns: geometry.columns,
    pixelSpacingMm: geometry.pixelSpacing, z: geometry.positions.map((p) => p[2]), files, blindSigmaMm: BLIND_SIGMA_MM,
  };
}

/** eval.ts's pairs, each split into its halves: the training data of the models npm run eval measures. */
async function evalSplits() {
  const entries = [];
  for (const pair of PAIRS) {
    const { sharp, soft, shared } = await openPair(path.join(args.data!, pair.sharp), path.join(args.data!, pair.soft));
    const halves = calibrationHalves(sharp.geometry, shared);
    for (const calibratedOn of SPLITS) {
      const calibration = halves[calibratedOn];
      const sharpSlices = await readAll(sharp, calibration.map(([i]) => i));
      const softSlices = await readAll(soft, calibration.map(([, j]) => j));
      const fitter = new TransferFitter(sharp.geometry);
      sharpSlices.forEach((slice, i) => fitter.add({ a: slice, b: softSlices[i] }));
      const fit = fitter.finish();
      if (fit.sharper !== 'a') throw new Error(`${pair.name}: the fit found ${pair.soft} the sharper`);
      const geometry = withSlices(sharp.geometry, calibration.map(([i]) => i));
      const stem = `${pair.key}-${calibratedOn}`;
      const written = await writeEntry(stem, geometry, sharpSlices, softSlices, fit.response);
      entries.push({ pair: pair.name, key: pair.key, calibratedOn, ...written, response: fit.response, residualNps: fit.residualNps, residualStdHu: fit.residualStdHu });
      console.log(`${stem}: ${sharpSlices.length} slices, residual ${fit.residualStdHu.toFixed(1)} HU`);
    }
  }
  const b30f = await openFolder(path.join(args.data!, 'tcga-thca-DE-A4MA-siemens-B30f'));
  const b30fSlices = await readAll(b30f, Array.from({ length: b30f.sliceCount }, (_, i) => i));
  await writeSlices('b30f.f32', b30fSlices);
  const simulationSources = [{ name: 'TCGA-DE-A4MA B30f', file: 'b30f.f32', slices: b30fSlices.length, rows: b30f.geometry.rows, columns: b30f.geometry.columns, pixelSpacingMm: b30f.geometry.pixelSpacing, z: b30f.geometry.positions.map((p) => p[2]) }];
  return { pairs: entries, simulationSources };
}

/** The calibration key one series asks for, from the headers of its first file, as the node's kernel-transfer step reads it. */
async function keyOf(folder: string): Promise<CalibrationKey> {
  const first = (await readdir(folder)).filter((name) => name.endsWith('.dcm')).sort()[0];
  if (!first) throw new Error(`${folder} holds no .dcm file`);
  const [image] = await readImageHeaders(path.join(folder, first));
  return calibrationKeyOf(describeSeries(seriesTagsFromHeader(image!.header, undefined, false)));
}

/** A site's own natural pair, whole, through its stored calibration: the training data of that calibration's v3. */
async function wholePair(calibration: Calibration, sharpFolder: string, softFolder: string, key: string) {
  const [sharpKey, softKey] = [await keyOf(sharpFolder), await keyOf(softFolder)];
  const { scanner, sourceKernel, targetKernel } = calibration;
  const expected = `${scanner.manufacturer} ${scanner.modelName} ${sourceKernel}->${targetKernel}`;
  const found = `${sharpKey.manufacturer} ${sharpKey.modelName} ${sharpKey.sourceKernel}->${softKey.sourceKernel}`;
  if (sharpKey.manufacturer !== scanner.manufacturer || sharpKey.modelName !== scanner.modelName || sharpKey.sourceKernel !== sourceKernel || softKey.sourceKernel !== targetKernel) {
    throw new Error(`the calibration is ${expected}, the two folders are ${found}: give the natural pair of that scanner and those kernels`);
  }
  const { sharp, soft, shared } = await openPair(sharpFolder, softFolder);
  const sharpSlices = await readAll(sharp, shared.map(([i]) => i));
  const softSlices = await readAll(soft, shared.map(([, j]) => j));
  const written = await writeEntry(`${key}-whole`, withSlices(sharp.geometry, shared.map(([i]) => i)), sharpSlices, softSlices, calibration.response);
  console.log(`${key}: ${sharpSlices.length} shared slices of ${expected} through calibration ${calibration.id}`);
  const claim = { manufacturer: scanner.manufacturer, modelName: scanner.modelName, sourceKernel, targetKernel, id: calibration.id };
  return { pairs: [{ pair: `${expected} (${key})`, key, calibratedOn: 'whole', ...written, calibration: claim, response: calibration.response }], simulationSources: [] };
}

let index;
if (args.calibration) {
  if (!args.sharp || !args.soft || !args.key) throw new Error('--calibration needs its natural pair: --sharp DIR --soft DIR --key NAME');
  index = await wholePair(await readCalibrationFile(args.calibration), args.sharp, args.soft, args.key);
} else {
  index = await evalSplits();
}
await writeFile(path.join(out, 'index.json'), JSON.stringify(index, null, 1));
console.log(`wrote ${out}/index.json`);
