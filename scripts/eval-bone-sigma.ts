/**
 * npx tsx scripts/eval-bone-sigma.ts [--data DIR]
 *
 * Bone MAE (reference > 600 HU, inside the body, as npm run eval's mae_bone_hu) of the Gaussian
 * alone, by sigma, on each half of each real natural pair that npm run eval evaluates: how far any
 * one blind sigma is from each pair's own best (docs/models.md, v3_blind's bone target).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { fullRange, fullRangeMasks, readAll, withSlices } from './eval-models.js';
import { calibrationHalves, openPair, PAIRS, SPLITS } from './harmonize-pairs.js';

const SIGMAS_MM = [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4];
const { values: args } = parseArgs({ options: { data: { type: 'string', default: path.resolve(process.cwd(), '../shared/data/ct') } } });

console.log(`| evaluated half | ${SIGMAS_MM.map((sigma) => `${sigma} mm`).join(' | ')} |`);
console.log(`|---|${SIGMAS_MM.map(() => '---').join('|')}|`);
for (const pair of PAIRS) {
  const { sharp, soft, shared } = await openPair(path.join(args.data!, pair.sharp), path.join(args.data!, pair.soft));
  const halves = calibrationHalves(sharp.geometry, shared);
  for (const half of SPLITS) {
    const indices = halves[half];
    const sharpSlices = await readAll(sharp, indices.map(([i]) => i));
    const reference = await readAll(soft, indices.map(([, j]) => j));
    const geometry = withSlices(soft.geometry, indices.map(([, j]) => j));
    const masks = fullRangeMasks(reference, geometry.rows, geometry.columns);
    const cells: string[] = [];
    for (const sigmaMm of SIGMAS_MM) {
      const blurred = await readAll(gaussianSoften(memorySource(geometry, sharpSlices), { sigmaMm }), sharpSlices.map((_, i) => i));
      cells.push(fullRange(reference, blurred, masks).mae_bone_hu!.toFixed(1));
    }
    console.log(`| ${pair.name}, ${half} | ${cells.join(' | ')} |`);
  }
}
