/**
 * npm run bench:kernel-transfer [-- --rounds 3 --series DIR]
 *
 * Slices per second of the kernel-transfer filter (per-slice FFT with a calibration fitted here on
 * the shared Siemens A0002 B70f/B40f pair) beside the Gaussian step at the shipped sigma (1.0 mm),
 * over the 269-slice series tcga-thca-DE-A4MA-siemens-B30f held in memory, so only the filters are
 * timed. The two run interleaved, `rounds` times each, in this one process; the median is reported.
 * Last line: one JSON object.
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { calibratePair } from '../src/calibrate/calibrate-pair.js';
import { readImageHeaders } from '../src/dicom/file/image-headers.js';
import { gaussianSoften } from '../src/imaging/gaussian-soften.js';
import { openSeries } from '../src/imaging/load-series.js';
import { memorySource } from '../src/imaging/memory-source.js';
import { applyRadialResponse } from '../src/imaging/radial-response.js';
import type { SliceSource } from '../src/imaging/slice-source.js';
import { median } from './median.js';

const DATA = path.resolve(process.cwd(), '../shared/data/ct');

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function files(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort().map((name) => path.join(folder, name));
}

async function headers(folder: string) {
  return (await Promise.all((await files(folder)).map(readImageHeaders))).flat();
}

async function timeAll(source: SliceSource): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < source.sliceCount; i++) await source.readSlice(i);
  return (performance.now() - start) / 1000;
}

const rounds = Number(option('rounds') ?? 3);
const seriesDir = path.resolve(option('series') ?? path.join(DATA, 'tcga-thca-DE-A4MA-siemens-B30f'));
console.log(`load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores`);

const outcome = await calibratePair(await headers(path.join(DATA, 'lung-pet-ct-dx-A0002-siemens-B70f')), await headers(path.join(DATA, 'lung-pet-ct-dx-A0002-siemens-B40f')), new Date());
if (outcome.kind !== 'calibrated') throw new Error(`the Siemens pair did not calibrate: ${outcome.reason}`);
const { response } = outcome.calibration;

const loaded = (await openSeries(await files(seriesDir))).source;
const slices: Float32Array[] = [];
for (let i = 0; i < loaded.sliceCount; i++) slices.push(await loaded.readSlice(i));
const input = memorySource(loaded.geometry, slices);
console.log(`${input.sliceCount} slices of ${input.geometry.rows}x${input.geometry.columns} from ${path.basename(seriesDir)}, held in memory`);

const seconds = { gaussian: [] as number[], kernelTransfer: [] as number[] };
for (let round = 0; round < rounds; round++) {
  seconds.gaussian.push(await timeAll(gaussianSoften(input, { sigmaMm: 1.0 })));
  seconds.kernelTransfer.push(await timeAll(applyRadialResponse(input, response)));
  console.log(`round ${round + 1}: gaussian ${seconds.gaussian[round].toFixed(2)} s, kernel transfer ${seconds.kernelTransfer[round].toFixed(2)} s`);
}
const gaussian = input.sliceCount / median(seconds.gaussian);
const kernelTransfer = input.sliceCount / median(seconds.kernelTransfer);
console.log(`gaussian-soften (sigma 1.0 mm): ${gaussian.toFixed(1)} slices/s`);
console.log(`kernel-transfer:                ${kernelTransfer.toFixed(1)} slices/s (${(kernelTransfer / gaussian).toFixed(2)}x the Gaussian)`);
console.log(JSON.stringify({ slices: input.sliceCount, gaussian_slices_per_s: +gaussian.toFixed(2), kernel_transfer_slices_per_s: +kernelTransfer.toFixed(2), ratio: +(kernelTransfer / gaussian).toFixed(3) }));
