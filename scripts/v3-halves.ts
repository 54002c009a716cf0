/**
 * npx tsx scripts/v3-halves.ts --pairs a0002[,toshiba,...] [--models 'harmonize-v3-{pair}-{half},...'] [--data DIR]
 *
 * Where a generator v3's error goes, on both halves of each split of npm run eval: the one it was
 * trained on (what a choice may be made on) and the evaluated one. For the calibrated transfer and
 * each model (run through the node's engine after that transfer, as eval.ts runs v3): MAE on the
 * lung window [-1150, 350], the same inside and outside the body (the reference's body mask), the
 * mean error in the lungs (output - reference, HU) and the LAA-950 difference (pp), each on the output
 * as the derived series stores it (as npm run eval measures). In --models,
 * {pair} and {half} stand for the pair's key and the calibration half.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TransferFitter } from '../src/calibrate/fit-transfer.js';
import { bodyMask } from '../src/imaging/body-mask.js';
import { lungMask } from '../src/imaging/lung-mask.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { DEFAULT_WINDOW, laa950 } from '../src/imaging/metrics.js';
import { radialFilter } from '../src/imaging/radial-response.js';
import { createInferenceEngine } from '../src/inference/engine.js';
import { asStored, modelOutput, readAll } from './eval-models.js';
import { calibrationHalves, evaluatedHalf, openPair, PAIRS, SPLITS } from './harmonize-pairs.js';

const MIN_LUNG_PIXELS = 5000; // as eval.ts: below it a half has no lung to speak of

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: 'a0001,a0002,toshiba' },
    models: { type: 'string', default: 'harmonize-v3-{pair}-{half}' },
    data: { type: 'string', default: path.resolve(process.cwd(), '../shared/data/ct') },
  },
});
const clip = (hu: number) => Math.min(DEFAULT_WINDOW.high, Math.max(DEFAULT_WINDOW.low, hu));

function figures(reference: Float32Array[], test: Float32Array[], lungs: Uint8Array[], body: Uint8Array[]) {
  let [all, inside, insideCount, outside, lungError, lungCount] = [0, 0, 0, 0, 0, 0];
  test.forEach((slice, s) => {
    for (let i = 0; i < slice.length; i++) {
      const error = Math.abs(clip(slice[i]) - clip(reference[s][i]));
      all += error;
      if (body[s][i]) [inside, insideCount] = [inside + error, insideCount + 1];
      else outside += error;
      if (lungs[s][i]) [lungError, lungCount] = [lungError + slice[i] - reference[s][i], lungCount + 1];
    }
  });
  const voxels = test.length * test[0].length;
  const laa = lungCount < MIN_LUNG_PIXELS ? 'n/a' : (laa950(test, lungs) - laa950(reference, lungs)).toFixed(2);
  const lung = lungCount < MIN_LUNG_PIXELS ? 'n/a' : (lungError / lungCount).toFixed(2);
  return `MAE ${(all / voxels).toFixed(3)}, in the body ${(inside / insideCount).toFixed(3)}, outside ${(outside / (voxels - insideCount)).toFixed(3)}; lung mean error ${lung} HU, LAA-950 difference ${laa} pp`;
}

const engine = await createInferenceEngine({ modelRoots: [path.resolve('models')], provider: 'cpu', threads: 2, workers: 1 });
try {
  for (const pair of PAIRS.filter((p) => args.pairs!.split(',').includes(p.key))) {
    const { sharp, soft, shared, storedFormat } = await openPair(path.join(args.data!, pair.sharp), path.join(args.data!, pair.soft));
    const halves = calibrationHalves(sharp.geometry, shared);
    const allSharp = await readAll(sharp, Array.from({ length: sharp.sliceCount }, (_, i) => i));
    const { rows, columns } = sharp.geometry;
    for (const calibratedOn of SPLITS) {
      const fitter = new TransferFitter(sharp.geometry);
      const calibrationSharp = await readAll(sharp, halves[calibratedOn].map(([i]) => i));
      const calibrationSoft = await readAll(soft, halves[calibratedOn].map(([, j]) => j));
      calibrationSharp.forEach((slice, i) => fitter.add({ a: slice, b: calibrationSoft[i] }));
      const transfer = radialFilter(sharp.geometry, fitter.finish().response);
      const transferred = allSharp.map((slice) => transfer(slice));
      const outputs: Record<string, Float32Array[]> = { transfer: transferred };
      for (const pattern of args.models!.split(',')) {
        const id = pattern.replaceAll('{pair}', pair.key).replaceAll('{half}', calibratedOn);
        outputs[id] = await readAll(modelOutput(engine, engine.registry.getModel(id), memorySource(sharp.geometry, transferred)), allSharp.map((_, i) => i));
      }
      for (const half of [calibratedOn, evaluatedHalf(calibratedOn)]) {
        const indices = halves[half];
        const reference = await readAll(soft, indices.map(([, j]) => j));
        const [lungs, body] = [lungMask(reference, rows, columns), bodyMask(reference, rows, columns)];
        console.log(`${pair.name}, calibrated on ${calibratedOn}, on the ${half} half (${half === calibratedOn ? 'trained on' : 'evaluated'}):`);
        for (const [name, volume] of Object.entries(outputs)) console.log(`  ${name}: ${figures(reference, asStored(indices.map(([i]) => volume[i]), storedFormat), lungs, body)}`);
      }
    }
  }
} finally {
  await engine.close();
}
