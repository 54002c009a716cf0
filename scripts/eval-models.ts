/**
 * npm run eval [-- --models id,id --slices N --dc-slices K --threads T --data DIR --models-dir DIR]
 *
 * Runs every trained model under models/ (manifest status "trained") through the node's own
 * inference engine (registry, tiler, worker threads, onnxruntime-node) on the patient its manifest
 * says was held out of training (training.metrics.heldOut), next to the classical baselines:
 *  - harmonize: the held-out sharp series vs its real soft reconstruction (paired by
 *    ImagePositionPatient): model, counterpart (the model step's classical counterpart alone,
 *    which carries what lies outside the model's HU window), input (untouched sharp), gaussian (sigma in mm tuned on the
 *    training pair, training.metrics.gaussianSigmaMm) and gaussian_px (the same sigma in pixels of
 *    the training series, i.e. scaled by the pixel-size ratio); PSNR, SSIM, MAE on [-1150, 350],
 *    LAA-950 minus the reference's (lung mask from the reference), HU std in a homogeneous ROI.
 *  - superres: both reconstructions of the held-out patient degraded 512 -> 256 (Gaussian blur for
 *    the larger pixel, 2x2 area sampling, seeded white noise: training.metrics.degradation) and
 *    restored by model, bicubic and nearest; plus the data-consistency error at 512 -> 1024 (the
 *    model's 1024 output averaged 2x2 back down vs its 512 input, MAE in HU).
 * --slices N keeps N slices per series (a central block for harmonization, evenly spaced for SR);
 * default all. Prints a table per model; the last line is one JSON object keyed by model id, plus
 * one aggregate key per model family (the id without -foldN) listing every fold.
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import { bicubicUpsample2x, nearestUpsample2x } from '../src/imaging/bicubic-upsample.js';
import type { SeriesGeometry, Vec3 } from '../src/imaging/geometry.js';
import { readImageHeaders } from '../src/dicom/file/image-headers.js';
import { storedHu, type PixelFormat } from '../src/imaging/hounsfield.js';
import { openSeries } from '../src/imaging/load-series.js';
import { bodyMask } from '../src/imaging/body-mask.js';
import { lungMask } from '../src/imaging/lung-mask.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { globalNoiseIndex } from '../src/imaging/noise.js';
import { BONE_THRESHOLD_HU, compareSeries, DEFAULT_WINDOW, laa950, maskedMae, type QualityMetrics } from '../src/imaging/metrics.js';
import type { SliceSource } from '../src/imaging/slice-source.js';
import { createInferenceEngine, type InferenceEngine } from '../src/inference/engine.js';
import type { ModelEntry } from '../src/inference/registry.js';
import { modelOutputSource } from '../src/inference/model-source.js';
import type { FullRangeSource } from '../src/inference/outside-window.js';
import { tilingSpec } from '../src/inference/tiler.js';

/** The two Lung-PET-CT-Dx patients with real sharp/soft pairs. */
export const PATIENTS: Record<string, { sharp: string; soft: string }> = {
  A0001: { sharp: 'lung-pet-ct-dx-A0001-philips-L', soft: 'lung-pet-ct-dx-A0001-philips-B' },
  A0002: { sharp: 'lung-pet-ct-dx-A0002-siemens-B70f', soft: 'lung-pet-ct-dx-A0002-siemens-B40f' },
};

export interface EvalOptions {
  readonly dataDir: string;
  readonly modelsDir: string;
  readonly models?: readonly string[];
  /** Slices per series; undefined means all. */
  readonly slices?: number;
  /** 512 slices per series run at 512 -> 1024 for the data-consistency error. */
  readonly dcSlices: number;
  readonly threads: number;
}

export interface MethodMetrics {
  psnr: number;
  ssim: number;
  mae_hu: number;
  /** MAE over all body voxels on the full range -1024..3071 HU, and over bone (reference > 600 HU). */
  mae_full_hu?: number;
  mae_bone_hu?: number;
  laa950_diff?: number;
  laa950?: number;
  noise_hu?: number;
  dc_mae_hu?: number;
}

export interface FoldResult {
  heldOut: string;
  slices: number;
  [method: string]: MethodMetrics | string | number;
}

export interface ModelResult {
  task: 'harmonize' | 'superres';
  folds: FoldResult[];
}

// ---------------------------------------------------------------- series helpers

function dicomFiles(folder: string): Promise<string[]> {
  return readdir(folder).then((names) => names.filter((f) => f.endsWith('.dcm')).sort().map((f) => path.join(folder, f)));
}

export async function openFolder(folder: string, tolerances?: { spacingFraction: number }) {
  return (await openSeries(await dicomFiles(folder), { cacheSlices: 8, ...(tolerances ? { tolerances } : {}) })).source;
}

/** The pixel format of a series (its first image's), which a series the node derives from it stores. */
export async function storedFormatOf(folder: string): Promise<PixelFormat> {
  return (await readImageHeaders((await dicomFiles(folder))[0]))[0].pixelFormat;
}

/**
 * Slices as a derived series in that format holds them (rounded, clamped), so that every method is
 * measured on what the node delivers, as the input and the reference are.
 */
export function asStored(slices: readonly Float32Array[], format: PixelFormat): Float32Array[] {
  return slices.map((slice) => storedHu(slice, format));
}

function samePosition(a: Vec3, b: Vec3): boolean {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]) < 0.01;
}

/** Indices [i in sharp, j in soft] of slices at the same ImagePositionPatient. */
export function pairByPosition(sharp: SeriesGeometry, soft: SeriesGeometry): [number, number][] {
  const pairs: [number, number][] = [];
  sharp.positions.forEach((p, i) => {
    const j = soft.positions.findIndex((q) => samePosition(p, q));
    if (j >= 0) pairs.push([i, j]);
  });
  if (pairs.length === 0) throw new Error('the sharp and soft series share no slice position');
  return pairs;
}

function centralBlock<T>(items: readonly T[], n: number | undefined): T[] {
  if (n === undefined || n >= items.length) return [...items];
  const start = Math.floor((items.length - n) / 2);
  return items.slice(start, start + n);
}

function evenlySpaced(count: number, n: number | undefined): number[] {
  if (n === undefined || n >= count) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: n }, (_, k) => Math.floor(((k + 0.5) * count) / n));
}

export async function readAll(source: SliceSource, indices: readonly number[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const i of indices) out.push(await source.readSlice(i));
  return out;
}

export function withSlices(geometry: SeriesGeometry, indices: readonly number[]): SeriesGeometry {
  return { ...geometry, positions: indices.map((i) => geometry.positions[i]) };
}

/** The model over a whole series through the engine's worker threads, read lazily slice by slice. */
export function modelOutput(engine: InferenceEngine, entry: ModelEntry, input: SliceSource): FullRangeSource {
  const spec = tilingSpec(entry.manifest);
  return modelOutputSource(entry.manifest, input, (slab) => engine.runSlab(entry, 'cpu', spec, slab));
}

// ---------------------------------------------------------------- metrics helpers

interface FullRangeMasks {
  body: Uint8Array[];
  bone: Uint8Array[];
}

/** The body of the reference, and its bone (reference above BONE_THRESHOLD_HU inside the body). */
export function fullRangeMasks(reference: readonly Float32Array[], rows: number, columns: number): FullRangeMasks {
  const body = bodyMask(reference, rows, columns);
  const bone = body.map((mask, s) => mask.map((inside, i) => (inside && reference[s][i] > BONE_THRESHOLD_HU ? 1 : 0)));
  return { body, bone };
}

export function fullRange(reference: readonly Float32Array[], test: readonly Float32Array[], masks: FullRangeMasks): Pick<MethodMetrics, 'mae_full_hu' | 'mae_bone_hu'> {
  return { mae_full_hu: maskedMae(reference, test, masks.body), mae_bone_hu: maskedMae(reference, test, masks.bone) };
}

function toMethod(q: QualityMetrics): MethodMetrics {
  return { psnr: q.psnr, ssim: q.ssim, mae_hu: q.maeHu };
}

async function quality(geometry: SeriesGeometry, reference: Float32Array[], test: Float32Array[]): Promise<QualityMetrics> {
  return compareSeries(memorySource(geometry, reference), memorySource(geometry, test));
}

/** Pools per-series metrics (slice-weighted MSE, SSIM and MAE) into one. */
function pool(parts: { q: QualityMetrics; slices: number }[]): QualityMetrics {
  const peak = DEFAULT_WINDOW.high - DEFAULT_WINDOW.low;
  const total = parts.reduce((s, p) => s + p.slices, 0);
  const mse = parts.reduce((s, p) => s + (p.slices * peak * peak) / 10 ** (p.q.psnr / 10), 0) / total;
  return {
    psnr: 10 * Math.log10((peak * peak) / mse),
    ssim: parts.reduce((s, p) => s + p.slices * p.q.ssim, 0) / total,
    maeHu: parts.reduce((s, p) => s + p.slices * p.q.maeHu, 0) / total,
  };
}

export interface Roi {
  readonly slice: number;
  readonly row: number;
  readonly column: number;
  readonly size: number;
}

/**
 * A homogeneous soft-tissue ROI (aorta, heart, muscle): among size x size windows whose reference
 * mean lies in [0, 100] HU, the one with the smallest mean gradient magnitude of the reference.
 */
export function findHomogeneousRoi(reference: readonly Float32Array[], rows: number, columns: number, size = 15): Roi {
  let best: Roi | undefined;
  let bestScore = Infinity;
  reference.forEach((slice, s) => {
    for (let r = 1; r + size < rows - 1; r += 4) {
      for (let c = 1; c + size < columns - 1; c += 4) {
        let sum = 0;
        let gradient = 0;
        for (let y = r; y < r + size; y++) {
          for (let x = c; x < c + size; x++) {
            const i = y * columns + x;
            sum += slice[i];
            gradient += Math.hypot(slice[i + 1] - slice[i - 1], slice[i + columns] - slice[i - columns]);
          }
        }
        const mean = sum / (size * size);
        if (mean < 0 || mean > 100) continue;
        if (gradient < bestScore) {
          bestScore = gradient;
          best = { slice: s, row: r, column: c, size };
        }
      }
    }
  });
  if (!best) throw new Error('no homogeneous soft-tissue ROI found');
  return best;
}

export function roiStd(slices: readonly Float32Array[], roi: Roi, columns: number): number {
  const values: number[] = [];
  for (let y = roi.row; y < roi.row + roi.size; y++) {
    for (let x = roi.column; x < roi.column + roi.size; x++) values.push(slices[roi.slice][y * columns + x]);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

// ---------------------------------------------------------------- harmonization

interface TrainingMetrics {
  heldOut?: unknown;
  gaussianSigmaMm?: unknown;
  trainPixelSpacingMm?: unknown;
  degradation?: { blurSigmaPx512?: unknown; noiseHu?: unknown };
}

function metricsOf(entry: ModelEntry): TrainingMetrics {
  return (entry.manifest.training?.metrics ?? {}) as TrainingMetrics;
}

function heldOutOf(entry: ModelEntry): string {
  const heldOut = metricsOf(entry).heldOut;
  if (typeof heldOut !== 'string' || !PATIENTS[heldOut]) {
    throw new Error(`model ${entry.manifest.id}: training.metrics.heldOut must name one of ${Object.keys(PATIENTS).join(', ')}`);
  }
  return heldOut;
}

function numberField(entry: ModelEntry, value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value > 0)) throw new Error(`model ${entry.manifest.id}: ${name} must be a positive number`);
  return value;
}

export async function evaluateHarmonizer(engine: InferenceEngine, entry: ModelEntry, options: EvalOptions): Promise<FoldResult> {
  const heldOut = heldOutOf(entry);
  const sigmaMm = numberField(entry, metricsOf(entry).gaussianSigmaMm, 'training.metrics.gaussianSigmaMm');
  const trainSpacing = numberField(entry, metricsOf(entry).trainPixelSpacingMm, 'training.metrics.trainPixelSpacingMm');
  const sharp = await openFolder(path.join(options.dataDir, PATIENTS[heldOut].sharp));
  const soft = await openFolder(path.join(options.dataDir, PATIENTS[heldOut].soft));
  const pairs = centralBlock(pairByPosition(sharp.geometry, soft.geometry), options.slices);
  const sharpIdx = pairs.map(([i]) => i);
  const geometry = withSlices(soft.geometry, pairs.map(([, j]) => j));
  const spacing = sharp.geometry.pixelSpacing[1];
  const model = modelOutput(engine, entry, sharp);
  const format = await storedFormatOf(path.join(options.dataDir, PATIENTS[heldOut].sharp));
  const outputs: Record<string, Float32Array[]> = {
    model: asStored(await readAll(model, sharpIdx), format),
    counterpart: asStored(await Promise.all(sharpIdx.map((i) => model.readCounterpart(i))), format),
    input: await readAll(sharp, sharpIdx),
    gaussian: asStored(await readAll(gaussianSoften(sharp, { sigmaMm }), sharpIdx), format),
    gaussian_px: asStored(await readAll(gaussianSoften(sharp, { sigmaMm: (sigmaMm * spacing) / trainSpacing }), sharpIdx), format),
  };
  const reference = await readAll(soft, pairs.map(([, j]) => j));
  const { rows, columns } = geometry;
  const mask = lungMask(reference, rows, columns);
  const masks = fullRangeMasks(reference, rows, columns);
  const referenceLaa = laa950(reference, mask);
  const roi = findHomogeneousRoi(reference, rows, columns);
  const result: FoldResult = { heldOut, slices: pairs.length, reference_laa950: referenceLaa, reference_noise_hu: roiStd(reference, roi, columns) };
  for (const [method, slices] of Object.entries(outputs)) {
    const laa = laa950(slices, mask);
    result[method] = { ...toMethod(await quality(geometry, reference, slices)), ...fullRange(reference, slices, masks), laa950_diff: laa - referenceLaa, laa950: laa, noise_hu: roiStd(slices, roi, columns) };
  }
  return result;
}

// ---------------------------------------------------------------- super-resolution

/** Seeded standard normal numbers (mulberry32 + Box-Muller), so the degraded inputs are reproducible. */
export function normalNoise(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** 2x2 area average of one slice. */
export function downsample2x(slice: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array((rows / 2) * (columns / 2));
  const half = columns / 2;
  for (let r = 0; r < rows / 2; r++) {
    for (let c = 0; c < half; c++) {
      const i = 2 * r * columns + 2 * c;
      out[r * half + c] = 0.25 * (slice[i] + slice[i + 1] + slice[i + columns] + slice[i + columns + 1]);
    }
  }
  return out;
}

/** The geometry of a series whose pixels are 2x2 blocks of the given one (same field of view). */
export function downsampledGeometry(geometry: SeriesGeometry): SeriesGeometry {
  const [rowSpacing, columnSpacing] = geometry.pixelSpacing;
  const shift = (p: Vec3): Vec3 =>
    [0, 1, 2].map((k) => p[k] + 0.5 * columnSpacing * geometry.rowDirection[k] + 0.5 * rowSpacing * geometry.columnDirection[k]) as unknown as Vec3;
  return { ...geometry, rows: geometry.rows / 2, columns: geometry.columns / 2, pixelSpacing: [rowSpacing * 2, columnSpacing * 2], positions: geometry.positions.map(shift) };
}

/** Blur (sigma in 512-grid pixels, the node's Gaussian), 2x2 area sampling, white noise (HU). */
export async function degradeSeries(hr: SliceSource, blurSigmaPx: number, noiseHu: number, seed: number): Promise<SliceSource> {
  const { rows, columns, pixelSpacing } = hr.geometry;
  const blurred = gaussianSoften(hr, { sigmaMm: blurSigmaPx * pixelSpacing[1] });
  const slices: Float32Array[] = [];
  for (let i = 0; i < hr.sliceCount; i++) {
    const low = downsample2x(await blurred.readSlice(i), rows, columns);
    const noise = normalNoise(seed + i);
    for (let k = 0; k < low.length; k++) low[k] += noiseHu * noise();
    slices.push(low);
  }
  return memorySource(downsampledGeometry(hr.geometry), slices);
}

/** MAE (HU, on the window) between a 2x output averaged back down and its input. */
async function dataConsistency(output: SliceSource, input: SliceSource): Promise<number> {
  const { rows, columns } = output.geometry;
  const clip = (v: number) => Math.min(DEFAULT_WINDOW.high, Math.max(DEFAULT_WINDOW.low, v));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < input.sliceCount; i++) {
    const down = downsample2x(await output.readSlice(i), rows, columns);
    const original = await input.readSlice(i);
    for (let k = 0; k < down.length; k++) sum += Math.abs(clip(down[k]) - clip(original[k]));
    count += down.length;
  }
  return sum / count;
}

function subset(source: SliceSource, indices: readonly number[]): SliceSource {
  return { geometry: withSlices(source.geometry, indices), sliceCount: indices.length, readSlice: (i) => source.readSlice(indices[i]) };
}

export async function evaluateSuperResolver(engine: InferenceEngine, entry: ModelEntry, options: EvalOptions): Promise<FoldResult> {
  const heldOut = heldOutOf(entry);
  const degradation = metricsOf(entry).degradation ?? {};
  const blur = numberField(entry, degradation.blurSigmaPx512, 'training.metrics.degradation.blurSigmaPx512');
  const noise = numberField(entry, degradation.noiseHu, 'training.metrics.degradation.noiseHu');
  const parts: Record<string, { q: QualityMetrics; slices: number }[]> = { model: [], bicubic: [], nearest: [] };
  const references: Float32Array[] = [];
  const restoredSlices: Record<string, Float32Array[]> = { model: [], bicubic: [], nearest: [] };
  const consistency: Record<string, number[]> = { model: [], bicubic: [] };
  for (const [seriesIndex, folder] of [PATIENTS[heldOut].sharp, PATIENTS[heldOut].soft].entries()) {
    const full = await openFolder(path.join(options.dataDir, folder));
    const format = await storedFormatOf(path.join(options.dataDir, folder));
    if (full.geometry.rows !== 512 || full.geometry.columns !== 512) throw new Error(`${folder}: super-resolution is evaluated on 512x512 series`);
    const hr = subset(full, evenlySpaced(full.sliceCount, options.slices));
    const hrSlices = await readAll(hr, hr.geometry.positions.map((_, i) => i));
    const hrMemory = memorySource(hr.geometry, hrSlices);
    const low = await degradeSeries(hrMemory, blur, noise, 1000 * seriesIndex);
    const restored: Record<string, SliceSource> = { model: modelOutput(engine, entry, low), bicubic: bicubicUpsample2x(low), nearest: nearestUpsample2x(low) };
    references.push(...hrSlices);
    for (const [method, source] of Object.entries(restored)) {
      const slices = asStored(await readAll(source, hrSlices.map((_, i) => i)), format);
      parts[method].push({ q: await quality(hr.geometry, hrSlices, slices), slices: hrSlices.length });
      restoredSlices[method].push(...slices);
    }
    const dcInput = subset(hrMemory, evenlySpaced(hrMemory.sliceCount, options.dcSlices));
    consistency.model.push(await dataConsistency(modelOutput(engine, entry, dcInput), dcInput));
    consistency.bicubic.push(await dataConsistency(bicubicUpsample2x(dcInput), dcInput));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const slices = parts.model.reduce((s, p) => s + p.slices, 0);
  const masks = fullRangeMasks(references, 512, 512);
  const lungs = lungMask(references, 512, 512);
  const referenceLaa = laa950(references, lungs);
  const method = (name: string) => ({
    ...toMethod(pool(parts[name])),
    ...fullRange(references, restoredSlices[name], masks),
    laa950_diff: laa950(restoredSlices[name], lungs) - referenceLaa,
    noise_hu: globalNoiseIndex(restoredSlices[name], 512, 512) ?? NaN,
  });
  return {
    heldOut,
    slices,
    model: { ...method('model'), dc_mae_hu: mean(consistency.model) },
    bicubic: { ...method('bicubic'), dc_mae_hu: mean(consistency.bicubic) },
    nearest: method('nearest'),
  };
}

// ---------------------------------------------------------------- report

/** Model id without its fold suffix: harmonize-v1-fold1 -> harmonize-v1. */
export function familyOf(id: string): string {
  return id.replace(/-fold\d+$/, '');
}

export async function evaluateModels(options: EvalOptions, log: (line: string) => void): Promise<Record<string, ModelResult>> {
  const engine = await createInferenceEngine({ modelRoots: [options.modelsDir], provider: 'cpu', threads: options.threads, workers: 1 });
  try {
    // Models trained on one half of every pair (generator v3) hold out no patient: npm run eval evaluates them.
    const heldOutPatient = (id: string) => {
      const { heldOut } = metricsOf(engine.registry.getModel(id));
      return typeof heldOut === 'string' && heldOut in PATIENTS;
    };
    const ids = (options.models ?? engine.registry.ids()).filter((id) => engine.registry.getModel(id).manifest.status === 'trained' && heldOutPatient(id));
    const results: Record<string, ModelResult> = {};
    for (const id of ids) {
      const entry = engine.registry.getModel(id);
      const started = Date.now();
      const { task } = entry.manifest;
      const fold = task === 'harmonize' ? await evaluateHarmonizer(engine, entry, options) : await evaluateSuperResolver(engine, entry, options);
      results[id] = { task, folds: [fold] };
      log(formatTable(id, task, fold, (Date.now() - started) / 1000));
      const family = familyOf(id);
      if (family !== id) {
        results[family] ??= { task, folds: [] };
        results[family].folds.push(fold);
      }
    }
    return results;
  } finally {
    await engine.close();
  }
}

function formatTable(id: string, task: string, fold: FoldResult, seconds: number): string {
  const harmonize = task === 'harmonize';
  const header = harmonize
    ? '  method        PSNR dB   SSIM     MAE HU  full HU  bone HU   LAA-950 %  diff pp   noise HU'
    : '  method        PSNR dB   SSIM     MAE HU  full HU  bone HU   DC MAE HU (512->1024)';
  const lines = [`${id} (${task}) on held-out ${fold.heldOut}, ${fold.slices} slices, ${seconds.toFixed(0)} s`, header];
  for (const [method, value] of Object.entries(fold)) {
    if (typeof value !== 'object') continue;
    const m = value;
    const cells = [method.padEnd(12), m.psnr.toFixed(2).padStart(8), m.ssim.toFixed(4).padStart(8), m.mae_hu.toFixed(2).padStart(9)];
    cells.push((m.mae_full_hu ?? NaN).toFixed(2).padStart(9), (m.mae_bone_hu ?? NaN).toFixed(1).padStart(9));
    if (harmonize) cells.push((m.laa950 ?? NaN).toFixed(2).padStart(10), (m.laa950_diff ?? NaN).toFixed(2).padStart(8), (m.noise_hu ?? NaN).toFixed(1).padStart(10));
    else if (m.dc_mae_hu !== undefined) cells.push(m.dc_mae_hu.toFixed(2).padStart(10));
    lines.push(`  ${cells.join(' ')}`);
  }
  if (harmonize) lines.push(`  reference   LAA-950 ${(fold.reference_laa950 as number).toFixed(2)} %, noise ${(fold.reference_noise_hu as number).toFixed(1)} HU`);
  return lines.join('\n');
}

function parseArgs(argv: string[]): EvalOptions {
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const slices = value('slices');
  return {
    dataDir: path.resolve(value('data') ?? path.resolve(process.cwd(), '../shared/data/ct')),
    modelsDir: path.resolve(value('models-dir') ?? path.resolve(process.cwd(), 'models')),
    models: value('models')?.split(','),
    slices: slices === undefined ? undefined : Number(slices),
    dcSlices: Number(value('dc-slices') ?? 4),
    threads: Number(value('threads') ?? os.availableParallelism()),
  };
}

function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toFixed(4));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

async function main(): Promise<void> {
  const results = await evaluateModels(parseArgs(process.argv.slice(2)), (line) => console.log(line));
  console.log(JSON.stringify(rounded(results)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
