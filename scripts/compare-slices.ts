/**
 * npm run compare -- --model <id> --sharp <folder> --soft <folder> [--slice K] [--out DIR] [--data DIR] [--provider cpu|cuda|webgpu]
 *
 * Writes PNGs to look at: one slice of a sharp series, the model step's output (the node's engine,
 * full HU range), its classical counterpart alone, and the real soft reconstruction at the same
 * position, side by side, in the lung, mediastinal and bone windows. Super-resolution models are
 * given the sharp series as is (no reference at 1024: the soft folder is then shown upsampled by
 * the counterpart). Default output folder: test-output/compare/.
 * --model kernel-transfer shows instead the calibrated kernel transfer (the calibration in
 * config/calibrations/ for the sharp series' scanner and kernel) beside a Gaussian (--sigma, mm).
 * --after kernel-transfer runs the model on that transfer's output (whole series, so the slice has
 * its z neighbours), as a rule with kernel-transfer's refine does (generator v3): input | kernel
 * transfer | model step | soft reference. --provider runs the model on that execution provider (default cpu);
 * the provider that actually ran it is printed.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { memoryCatalog, readCalibrationFolder } from '../src/calibrate/catalog.js';
import { readImageHeaders } from '../src/dicom/file/image-headers.js';
import { bicubicUpsample2x } from '../src/imaging/bicubic-upsample.js';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import { applyRadialResponse } from '../src/imaging/radial-response.js';
import { openSeries } from '../src/imaging/load-series.js';
import { BONE_WINDOW, LUNG_WINDOW, MEDIASTINAL_WINDOW, renderPng, type GreyImage } from '../src/imaging/render-png.js';
import type { SliceSource } from '../src/imaging/slice-source.js';
import { createInferenceEngine } from '../src/inference/engine.js';
import { modelOutputSource } from '../src/inference/model-source.js';
import { PROVIDERS, type Provider } from '../src/inference/providers.js';
import type { ModelEntry } from '../src/inference/registry.js';
import type { SlabInput } from '../src/inference/slab.js';
import { tilingSpec, type TilingSpec } from '../src/inference/tiler.js';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function open(dataDir: string, folder: string): Promise<SliceSource> {
  const dir = path.join(dataDir, folder);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(dir, f));
  return (await openSeries(files)).source;
}

function single(source: SliceSource, index: number): SliceSource {
  return { geometry: { ...source.geometry, positions: [source.geometry.positions[index]] }, sliceCount: 1, readSlice: () => source.readSlice(index) };
}

async function main(): Promise<void> {
  const modelId = option('model');
  const sharpFolder = option('sharp');
  const softFolder = option('soft');
  if (!modelId || !sharpFolder || !softFolder) throw new Error('usage: --model <id> --sharp <folder> --soft <folder> [--slice K]');
  const dataDir = path.resolve(option('data') ?? '../shared/data/ct');
  const outDir = path.resolve(option('out') ?? 'test-output/compare');
  const provider = (option('provider') ?? 'cpu') as Provider;
  if (!PROVIDERS.includes(provider)) throw new Error(`--provider is one of ${PROVIDERS.join(', ')}`);
  const engine = await createInferenceEngine({ modelRoots: ['models'], provider, threads: 2, workers: 1, log: console.log });
  const ranOn = new Set<string>();
  const run = (entry: ModelEntry, spec: TilingSpec) => async (slab: SlabInput) => {
    const result = await engine.runSlab(entry, provider, spec, slab);
    ranOn.add(result.backend);
    return result;
  };
  try {
    const sharp = await open(dataDir, sharpFolder);
    const soft = await open(dataDir, softFolder);
    const index = Number(option('slice') ?? Math.floor(sharp.sliceCount / 2));
    const z = sharp.geometry.positions[index][2];
    const softIndex = soft.geometry.positions.findIndex((p) => Math.abs(p[2] - z) < 0.01);
    if (softIndex < 0) throw new Error(`${softFolder} has no slice at z = ${z}`);
    const input = single(sharp, index);
    if (modelId === 'kernel-transfer') {
      await writeKernelTransfer(sharpFolder, path.join(dataDir, sharpFolder), input, single(soft, softIndex), index, outDir);
      return;
    }
    const entry = engine.registry.getModel(modelId);
    const spec = tilingSpec(entry.manifest);
    if (option('after') === 'kernel-transfer') {
      const calibration = await shippedCalibration(path.join(dataDir, sharpFolder));
      const transferred = applyRadialResponse(sharp, calibration.response);
      const refined = modelOutputSource(entry.manifest, transferred, run(entry, spec));
      const grey = async (source: SliceSource, k: number): Promise<GreyImage> => ({ rows: source.geometry.rows, columns: source.geometry.columns, hu: await source.readSlice(k) });
      const panels = [await grey(sharp, index), await grey(transferred, index), await grey(refined, index), await grey(soft, softIndex)];
      await writePanels(panels, path.join(outDir, `${modelId}-after-kernel-transfer-${sharpFolder}-${index}`), `input | kernel transfer (calibration ${calibration.id.slice(0, 8)}) | ${modelId} | soft reference`);
      return;
    }
    const output = modelOutputSource(entry.manifest, input, run(entry, spec));
    const scaled = spec.scale.inPlane === 2;
    const reference = scaled ? bicubicUpsample2x(single(soft, softIndex)) : single(soft, softIndex);
    const shown = scaled ? bicubicUpsample2x(input) : input;
    const image = async (source: SliceSource, hu?: Float32Array): Promise<GreyImage> => ({
      rows: source.geometry.rows,
      columns: source.geometry.columns,
      hu: hu ?? (await source.readSlice(0)),
    });
    const panels = [await image(shown), await image(output), await image(output, await output.readCounterpart(0)), await image(reference)];
    await mkdir(outDir, { recursive: true });
    for (const [name, window] of Object.entries({ lung: LUNG_WINDOW, mediastinal: MEDIASTINAL_WINDOW, bone: BONE_WINDOW })) {
      const file = path.join(outDir, `${modelId}-${sharpFolder}-${index}-${name}.png`);
      await writeFile(file, renderPng(panels, window));
      console.log(`${file}: input | model step | counterpart | ${scaled ? 'soft reference, bicubic' : 'soft reference'} (${name} window)`);
    }
  } finally {
    if (ranOn.size > 0) console.log(`model ran on ${[...ranOn].join(', ')}`);
    await engine.close();
  }
}

/** The calibration in config/calibrations/ for the scanner and kernel of the series in `folder`. */
async function shippedCalibration(folder: string) {
  const [header] = await readImageHeaders(path.join(folder, (await readdir(folder)).sort()[0]));
  const key = { manufacturer: String(header.header.Manufacturer ?? '').trim(), modelName: String(header.header.ManufacturerModelName ?? '').trim(), sourceKernel: String(header.header.ConvolutionKernel ?? '').trim() };
  const [calibration] = await memoryCatalog(await readCalibrationFolder(path.resolve('config/calibrations'))).find(key);
  if (!calibration) throw new Error(`no calibration in config/calibrations for ${key.manufacturer} ${key.modelName} ${key.sourceKernel}`);
  return calibration;
}

/** The panels side by side in the lung, mediastinal and bone windows, as <stem>-<window>.png. */
async function writePanels(panels: GreyImage[], stem: string, what: string): Promise<void> {
  await mkdir(path.dirname(stem), { recursive: true });
  for (const [windowName, window] of Object.entries({ lung: LUNG_WINDOW, mediastinal: MEDIASTINAL_WINDOW, bone: BONE_WINDOW })) {
    const file = `${stem}-${windowName}.png`;
    await writeFile(file, renderPng(panels, window));
    console.log(`${file}: ${what} (${windowName} window)`);
  }
}

/** input | kernel transfer | Gaussian | soft reference, in the three windows. */
async function writeKernelTransfer(name: string, folder: string, input: SliceSource, reference: SliceSource, index: number, outDir: string): Promise<void> {
  const calibration = await shippedCalibration(folder);
  const sigmaMm = Number(option('sigma') ?? 0.6);
  const slice = async (source: SliceSource): Promise<GreyImage> => ({ rows: source.geometry.rows, columns: source.geometry.columns, hu: await source.readSlice(0) });
  const panels = [await slice(input), await slice(applyRadialResponse(input, calibration.response)), await slice(gaussianSoften(input, { sigmaMm })), await slice(reference)];
  await writePanels(panels, path.join(outDir, `kernel-transfer-${name}-${index}`), `input | kernel transfer (calibration ${calibration.id.slice(0, 8)}) | Gaussian ${sigmaMm} mm | soft reference`);
}

await main();
