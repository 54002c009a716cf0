/**
 * npm run eval [-- --slices-per-half N|PAIR=N,... --sr-slices N --dc-slices K --threads T --tasks harmonize,superres]
 *
 * --slices-per-half: evenly spread slices of each half, for every pair (N) or for the pairs named by
 * key (a0001=6: the Philips pair's halves cut to 6, the other pairs whole); default all.
 *
 * Harmonization, on each real natural pair of ../shared/data/ct (A0001 Philips L->B, A0002 Siemens
 * B70f->B40f, Toshiba phantom FC51->FC13): the shared slices are split along the patient into a
 * caudal and a cranial half; each half calibrates (kernel-transfer fit, Gaussian sigma tuned for
 * the lowest MAE) and the other half is evaluated, then the reverse. Methods on the evaluated half,
 * against the real soft reconstruction:
 *  - input: the sharp kernel untouched;
 *  - gaussian_calibration: the Gaussian whose sigma was tuned on the calibration half;
 *  - gaussian_oracle: the Gaussian tuned on the evaluated half itself (an upper bound for it);
 *  - gaussian_blind: the shipped blind classical step, the Gaussian of BLIND_SIGMA_MM whatever the
 *    scanner (v3_blind's input);
 *  - kernel_transfer: the radial response fitted on the calibration half (the node's calibrate/);
 *  - v2: the trained blind generator harmonize-v2, the fold that held this patient out (the
 *    Toshiba phantom is unseen by both folds), run through the node's engine;
 *  - v3: generator v3 per calibration (harmonize-v3-<pair>-<calibrated_on>), trained on this pair's
 *    calibration half only, as a site trains it on its own natural pair, and never on an evaluated
 *    half, run through the node's engine after the kernel transfer: its input is the whole sharp
 *    series through the split's transfer (so each evaluated slice has its real z neighbours, as in
 *    the node), read at the evaluated slices;
 *  - v3_blind: the same network trained on the calibration halves of all three pairs, on the blind
 *    classical step's output (harmonize-v3-blind-<calibrated_on>, after the Gaussian of
 *    BLIND_SIGMA_MM): no calibration at inference (it did see the calibration halves of these
 *    scanners in training);
 *  - v3_shared: the same network trained on the calibration halves of all three pairs after their
 *    transfers (harmonize-v3-<calibrated_on>): one v3 for every scanner, for comparison;
 *  - v3_blind_unseen: v3_blind trained without this pair's scanner at all (the cranial halves of
 *    the other two pairs: harmonize-v3-blind-cranial-without-<pair>), so both halves are unseen:
 *    what a site without a calibration of a scanner the network never saw gets, as v2 is;
 *  - v3_full, v3_full_shared: v3 and v3_shared at full size (64 channels, 8 residual blocks, 24x the
 *    FLOPs), trained by the same recipe on a GPU (training/gpu_v3_full.sh): harmonize-v3-full-<pair>-
 *    <calibrated_on> and harmonize-v3-full-<calibrated_on>.
 *  A v3 model that is not in models/ is reported as null.
 * Super-resolution: sr2x-v1 on the patient each fold held out (scripts/eval-models.ts), bicubic beside.
 * Every output is measured as the node's derived series stores it (rounded and clamped in the sharp
 * series' pixel format), as the input and the reference are stored.
 * Each method M: psnr, ssim, mae_hu (lung window [-1150, 350]), mae_full_hu (body, -1024..3071),
 * mae_bone_hu (reference > 600 HU), laa950_diff (null without lung), noise_hu (global noise index).
 * Prints tables; the last line is one JSON object {"harmonize":{"splits":[...]},"superres":{"splits":[...]}}.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TransferFitter } from '../src/calibrate/fit-transfer.js';
import type { SliceSource } from '../src/imaging/slice-source.js';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import type { SeriesGeometry } from '../src/imaging/geometry.js';
import type { PixelFormat } from '../src/imaging/hounsfield.js';
import { lungMask } from '../src/imaging/lung-mask.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { compareSeries, laa950, mae } from '../src/imaging/metrics.js';
import { globalNoiseIndex } from '../src/imaging/noise.js';
import { radialFilter } from '../src/imaging/radial-response.js';
import { createInferenceEngine, type InferenceEngine } from '../src/inference/engine.js';
import {
  asStored, evaluateSuperResolver, fullRange, fullRangeMasks, modelOutput,  readAll, withSlices, type FoldResult,
} from './eval-models.js';
import { BLIND_SIGMA_MM, calibrationHalves, evaluatedHalf, openPair, PAIRS } from './harmonize-pairs.js';

/** The figures of one method on one split (the M). */
export interface Method {
  psnr: number;
  ssim: number;
  mae_hu: number;
  mae_full_hu: number;
  mae_bone_hu: number;
  laa950_diff: number | null;
  noise_hu: number | null;
}

export interface HarmonizeSplit {
  pair: string;
  calibrated_on: 'cranial' | 'caudal';
  slices: number;
  sigma_mm: { calibration: number; oracle: number };
  methods: Record<string, Method | null>;
}

const V2_FOLD_HOLDING_OUT: Record<string, string> = { A0001: 'harmonize-v2-fold2', A0002: 'harmonize-v2-fold1' };
const V2_UNSEEN = 'harmonize-v2-fold1';
const SR_FOLDS = ['sr2x-v1-fold1', 'sr2x-v1-fold2'];
/** Sigmas (mm) tried when tuning the Gaussian. */
const SIGMAS_MM = Array.from({ length: 19 }, (_, k) => Number((0.2 + 0.1 * k).toFixed(1)));
const MIN_LUNG_PIXELS = 5000;

const { values: args } = parseArgs({
  options: {
    'slices-per-half': { type: 'string' },
    'sr-slices': { type: 'string' },
    'dc-slices': { type: 'string', default: '4' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    tasks: { type: 'string', default: 'harmonize,superres' },
    data: { type: 'string', default: path.resolve(process.cwd(), '../shared/data/ct') },
    'models-dir': { type: 'string', default: path.resolve(process.cwd(), 'models') },
  },
});
const perHalf = slicesPerHalf(args['slices-per-half']);

/** --slices-per-half as a cut per pair key (undefined: all slices). */
function slicesPerHalf(value: string | undefined): (pairKey: string) => number | undefined {
  if (value === undefined) return () => undefined;
  if (/^\d+$/.test(value)) return () => Number(value);
  const cuts = new Map(value.split(',').map((item) => {
    const [key, n] = item.split('=');
    if (!PAIRS.some((pair) => pair.key === key) || !/^\d+$/.test(n ?? '')) throw new Error(`--slices-per-half: ${item} is not N or PAIR=N with PAIR one of ${PAIRS.map((p) => p.key).join(', ')}`);
    return [key, Number(n)];
  }));
  return (pairKey) => cuts.get(pairKey);
}
const tasks = args.tasks!.split(',');

function evenly<T>(items: readonly T[], n: number | undefined): T[] {
  if (n === undefined || n >= items.length) return [...items];
  return Array.from({ length: n }, (_, k) => items[Math.floor(((k + 0.5) * items.length) / n)]);
}

/** The figures of one method's output, as the derived series would store it (format), against the reference. */
async function measure(geometry: SeriesGeometry, reference: Float32Array[], output: Float32Array[], format: PixelFormat): Promise<Method> {
  const test = asStored(output, format);
  const quality = await compareSeries(memorySource(geometry, reference), memorySource(geometry, test));
  const { rows, columns } = geometry;
  const lungs = lungMask(reference, rows, columns);
  const lungPixels = lungs.reduce((sum, mask) => sum + mask.reduce((s, v) => s + v, 0), 0);
  const full = fullRange(reference, test, fullRangeMasks(reference, rows, columns));
  return {
    psnr: quality.psnr,
    ssim: quality.ssim,
    mae_hu: quality.maeHu,
    mae_full_hu: full.mae_full_hu!,
    mae_bone_hu: full.mae_bone_hu!,
    laa950_diff: lungPixels < MIN_LUNG_PIXELS ? null : laa950(test, lungs) - laa950(reference, lungs),
    noise_hu: globalNoiseIndex(test, rows, columns),
  };
}

/** The sigma (mm) whose Gaussian brings the sharp slices closest (MAE, lung window) to the soft ones. */
async function tuneSigma(geometry: SeriesGeometry, sharp: Float32Array[], soft: Float32Array[]): Promise<number> {
  let best = { sigma: SIGMAS_MM[0], error: Infinity };
  for (const sigma of SIGMAS_MM) {
    const blurred = await readAll(gaussianSoften(memorySource(geometry, sharp), { sigmaMm: sigma }), sharp.map((_, i) => i));
    const error = blurred.reduce((sum, slice, i) => sum + mae(soft[i], slice), 0) / blurred.length;
    if (error < best.error) best = { sigma, error };
  }
  return best.sigma;
}

async function harmonizeSplits(engine: InferenceEngine, log: (line: string) => void): Promise<HarmonizeSplit[]> {
  const splits: HarmonizeSplit[] = [];
  for (const pair of PAIRS) {
    const { sharp, soft, shared, storedFormat } = await openPair(path.join(args.data!, pair.sharp), path.join(args.data!, pair.soft));
    const halves = calibrationHalves(sharp.geometry, shared);
    const allSharp = await readAll(sharp, Array.from({ length: sharp.sliceCount }, (_, i) => i));
    const v2 = engine.registry.getModel(pair.patient ? V2_FOLD_HOLDING_OUT[pair.patient] : V2_UNSEEN);
    const v2Output = modelOutput(engine, v2, sharp);
    for (const calibratedOn of ['cranial', 'caudal'] as const) {
      const started = Date.now();
      const calibration = evenly(halves[calibratedOn], perHalf(pair.key));
      const evaluation = evenly(halves[evaluatedHalf(calibratedOn)], perHalf(pair.key));
      const read = async (indices: [number, number][]) => ({
        sharp: await readAll(sharp, indices.map(([i]) => i)),
        soft: await readAll(soft, indices.map(([, j]) => j)),
        geometry: withSlices(soft.geometry, indices.map(([, j]) => j)),
      });
      const cal = await read(calibration);
      const ev = await read(evaluation);
      const fitter = new TransferFitter(sharp.geometry);
      cal.sharp.forEach((slice, i) => fitter.add({ a: slice, b: cal.soft[i] }));
      const fit = fitter.finish();
      if (fit.sharper !== 'a') throw new Error(`${pair.name}: the fit found ${pair.soft} the sharper`);
      const transfer = radialFilter(sharp.geometry, fit.response);
      const sigmaCalibration = await tuneSigma(cal.geometry, cal.sharp, cal.soft);
      const sigmaOracle = await tuneSigma(ev.geometry, ev.sharp, ev.soft);
      const blur = (sigmaMm: number) => readAll(gaussianSoften(memorySource(ev.geometry, ev.sharp), { sigmaMm }), ev.sharp.map((_, i) => i));
      const outputs: Record<string, Float32Array[]> = {
        input: ev.sharp,
        gaussian_calibration: await blur(sigmaCalibration),
        gaussian_oracle: await blur(sigmaOracle),
        gaussian_blind: await blur(BLIND_SIGMA_MM),
        kernel_transfer: ev.sharp.map((slice) => transfer(slice)),
        v2: await readAll(v2Output, evaluation.map(([i]) => i)),
      };
      const methods: Record<string, Method | null> = {};
      for (const [name, slices] of Object.entries(outputs)) methods[name] = await measure(ev.geometry, ev.soft, slices, storedFormat);
      const refinedBy = async (id: string, input: Float32Array[]) => {
        if (!engine.registry.ids().includes(id)) return null;
        const output = modelOutput(engine, engine.registry.getModel(id), memorySource(sharp.geometry, input));
        return measure(ev.geometry, ev.soft, await readAll(output, evaluation.map(([i]) => i)), storedFormat);
      };
      const transferred = allSharp.map((slice) => transfer(slice));
      methods.v3 = await refinedBy(`harmonize-v3-${pair.key}-${calibratedOn}`, transferred);
      const blind = await readAll(blindStep(sharp), allSharp.map((_, i) => i));
      methods.v3_blind = await refinedBy(`harmonize-v3-blind-${calibratedOn}`, blind);
      methods.v3_shared = await refinedBy(`harmonize-v3-${calibratedOn}`, transferred);
      methods.v3_blind_unseen = await refinedBy(`harmonize-v3-blind-cranial-without-${pair.key}`, blind);
      methods.v3_full = await refinedBy(`harmonize-v3-full-${pair.key}-${calibratedOn}`, transferred);
      methods.v3_full_shared = await refinedBy(`harmonize-v3-full-${calibratedOn}`, transferred);
      const referenceNoise = globalNoiseIndex(ev.soft, ev.geometry.rows, ev.geometry.columns);
      log(table(`${pair.name}, calibrated on the ${calibratedOn} half (${calibration.length} slices), evaluated on ${evaluation.length}; ` +
        `Gaussian sigma ${sigmaCalibration} mm (oracle ${sigmaOracle} mm), v2 = ${v2.manifest.id}, reference noise ${referenceNoise?.toFixed(1)} HU, ${((Date.now() - started) / 1000).toFixed(0)} s`, methods));
      splits.push({ pair: pair.name, calibrated_on: calibratedOn, slices: evaluation.length, sigma_mm: { calibration: sigmaCalibration, oracle: sigmaOracle }, methods });
    }
  }
  return splits;
}

/** The shipped blind classical harmonizer (config/rules.json's Gaussian rule), v3_blind's input. */
function blindStep(sharp: SliceSource): SliceSource {
  return gaussianSoften(sharp, { sigmaMm: BLIND_SIGMA_MM });
}

function superresMethod(fold: FoldResult, name: string): Method {
  const m = fold[name] as unknown as Method;
  const nullable = (value: number | null | undefined) => (value === undefined || value === null || Number.isNaN(value) ? null : value);
  return { psnr: m.psnr, ssim: m.ssim, mae_hu: m.mae_hu, mae_full_hu: m.mae_full_hu, mae_bone_hu: m.mae_bone_hu, laa950_diff: nullable(m.laa950_diff), noise_hu: nullable(m.noise_hu) };
}

async function superresSplits(engine: InferenceEngine, log: (line: string) => void) {
  const splits = [];
  const options = { dataDir: args.data!, modelsDir: args['models-dir']!, slices: args['sr-slices'] === undefined ? undefined : Number(args['sr-slices']), dcSlices: Number(args['dc-slices']), threads: Number(args.threads) };
  for (const id of SR_FOLDS) {
    const fold = await evaluateSuperResolver(engine, engine.registry.getModel(id), options);
    const methods = { bicubic: superresMethod(fold, 'bicubic'), model: superresMethod(fold, 'model') };
    log(table(`${id} on held-out ${fold.heldOut} (both reconstructions degraded 512 -> 256 and restored), ${fold.slices} slices`, methods));
    splits.push({ series: `${fold.heldOut} (held out of ${id})`, methods });
  }
  return splits;
}

function table(title: string, methods: Record<string, Method | null>): string {
  const figure = (value: number | null, digits: number, width: number) => (value === null ? 'n/a' : value.toFixed(digits)).padStart(width);
  const lines = [title, '  method                 PSNR dB    SSIM   MAE HU  full HU  bone HU  LAA diff pp  noise HU'];
  for (const [name, m] of Object.entries(methods)) {
    if (!m) {
      lines.push(`  ${name.padEnd(22)} (no such model in models/)`);
      continue;
    }
    lines.push(`  ${name.padEnd(22)}${figure(m.psnr, 2, 8)}${figure(m.ssim, 4, 8)}${figure(m.mae_hu, 2, 9)}${figure(m.mae_full_hu, 2, 9)}${figure(m.mae_bone_hu, 1, 9)}${figure(m.laa950_diff, 2, 13)}${figure(m.noise_hu, 1, 10)}`);
  }
  return lines.join('\n');
}

function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toFixed(4));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

const engine = await createInferenceEngine({ modelRoots: [args['models-dir']!], provider: 'cpu', threads: Number(args.threads), workers: 1 });
try {
  const log = (line: string) => console.log(line);
  const harmonize = tasks.includes('harmonize') ? await harmonizeSplits(engine, log) : [];
  const superres = tasks.includes('superres') ? await superresSplits(engine, log) : [];
  console.log(JSON.stringify(rounded({ harmonize: { splits: harmonize }, superres: { splits: superres } })));
} finally {
  await engine.close();
}
