/**
 * npm run bench:inference [-- --threads N --timing-slices K --rss-slices 64,269 --models a,b --series DIR]
 *
 * For every model under models/ (random-weight stand-ins until trained models exist), over the
 * 269-slice series tcga-thca-DE-A4MA-siemens-B30f:
 *  - tiled vs whole-image time on K sampled slices (same slices, same runtime, interleaved),
 *  - achieved GFLOP/s (FLOPs counted from the ONNX graph for the tiles actually run, halo included,
 *    over the model time the worker thread reports while streaming all slices) against this
 *    machine's peak measured in this run (best of a large conv and a large matmul through
 *    onnxruntime-node, same thread count, before, in each child after streaming, and at the end),
 *  - output voxels per second and peak RSS of real streaming runs over the first 64 and all 269
 *    slices, each in a fresh child process (DICOM read -> worker thread -> output slices dropped).
 * Last line: one JSON object keyed by model id.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { SliceSource } from '../src/imaging/slice-source.js';
import { openSeries } from '../src/imaging/load-series.js';
import { createBackend, type InferenceBackend } from '../src/inference/backend.js';
import { createInferenceEngine } from '../src/inference/engine.js';
import { inputChannels, type ModelManifest } from '../src/inference/manifest.js';
import { analyseGraph } from '../src/inference/onnx-analysis.js';
import { readOnnxGraph } from '../src/inference/onnx-graph.js';
import { convModel, matMulModel } from '../src/inference/onnx-writer.js';
import { openModelRegistry, type ModelEntry } from '../src/inference/registry.js';
import { runSlab } from '../src/inference/slab.js';
import { TiledSource } from '../src/inference/tiled-source.js';
import { planTiles, slabDepth, tilingSpec, type TilingSpec } from '../src/inference/tiler.js';

interface Args {
  threads: number;
  timingSlices: number;
  rssSlices: [number, number];
  models?: string[];
  series: string;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const rss = (value('rss-slices') ?? '64,269').split(',').map(Number);
  return {
    threads: Number(value('threads') ?? os.availableParallelism()),
    timingSlices: Number(value('timing-slices') ?? 8),
    rssSlices: [rss[0], rss[1]],
    models: value('models')?.split(','),
    series: path.resolve(value('series') ?? path.resolve(process.cwd(), '../shared/data/ct/tcga-thca-DE-A4MA-siemens-B30f')),
  };
}

async function loadSeries(folder: string): Promise<SliceSource> {
  const files = (await readdir(folder)).filter((f) => f.endsWith('.dcm')).sort().map((f) => path.join(folder, f));
  return (await openSeries(files)).source;
}

/** The first n slices of a series. */
function firstSlices(source: SliceSource, n: number): SliceSource {
  const count = Math.min(n, source.sliceCount);
  return {
    geometry: { ...source.geometry, positions: source.geometry.positions.slice(0, count) },
    sliceCount: count,
    readSlice: (i) => source.readSlice(i),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, (performance.now() - started) / 1000];
}

/** Best GFLOP/s of a 64-channel 3x3 conv and a 2048^2 matmul through onnxruntime-node. */
async function measurePeak(threads: number): Promise<{ conv: number; matmul: number }> {
  const options = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
  const conv = await ort.InferenceSession.create(convModel(64), options);
  const input = new ort.Tensor('float32', new Float32Array(64 * 256 * 256).fill(0.5), [1, 64, 256, 256]);
  const convFlops = analyseGraph(readOnnxGraph(convModel(64)), [1, 64, 256, 256]).flops;
  const matmul = await ort.InferenceSession.create(matMulModel(), options);
  const n = 2048;
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  let best = { conv: 0, matmul: 0 };
  for (let i = 0; i < 5; i++) {
    const [, tc] = await timed(() => conv.run({ input }));
    const [, tm] = await timed(() => matmul.run({ a, b: a }));
    best = { conv: Math.max(best.conv, convFlops / tc / 1e9), matmul: Math.max(best.matmul, (2 * n ** 3) / tm / 1e9) };
  }
  await conv.release();
  await matmul.release();
  return best;
}

function wholeImageSpec(spec: TilingSpec, rows: number, columns: number): TilingSpec {
  return { ...spec, tile: { ...spec.tile, rows, columns }, batch: 1 };
}

/** FLOPs of one slab: its tiles in batches, each run counted from the graph. */
function slabFlops(graphBytes: Uint8Array, manifest: ModelManifest, spec: TilingSpec, rows: number, columns: number): number {
  const graph = readOnnxGraph(graphBytes);
  const tiles = planTiles(rows, columns, spec.tile);
  const depth = slabDepth(spec, rows, columns);
  const items = manifest.dimensionality === '3d' ? tiles.length : tiles.length * depth;
  const edge = (n: number) => n + 2 * spec.halo.inPlane;
  const z = manifest.dimensionality === '3d' ? [depth + 2 * spec.halo.z] : [];
  let flops = 0;
  for (let start = 0; start < items; start += spec.batch) {
    const batch = Math.min(spec.batch, items - start);
    flops += analyseGraph(graph, [batch, inputChannels(manifest), ...z, edge(tiles[0].height), edge(tiles[0].width)]).flops;
  }
  return flops;
}

interface Timing {
  tiledSeconds: number;
  wholeSeconds: number;
  tiledFlops: number;
  slabs: number;
}

/** Tiled and whole-image runs of the same sampled slabs, interleaved so that load on the machine hits both alike. */
async function timeTiling(entry: ModelEntry, backend: InferenceBackend, series: SliceSource, samples: number): Promise<Timing> {
  const { rows, columns } = series.geometry;
  const tiled = tilingSpec(entry.manifest);
  const whole = wholeImageSpec(tiled, rows, columns);
  const depth = slabDepth(tiled, rows, columns);
  if (slabDepth(whole, rows, columns) !== depth) throw new Error('tiled and whole-image slabs differ in depth');
  const context = entry.manifest.dimensionality === '2.5d' ? entry.manifest.neighbourSlices : tiled.halo.z;
  const slab = async (z0: number) => {
    const first = Math.max(0, z0 - context);
    const end = Math.min(series.sliceCount, z0 + depth + context);
    const slices = [];
    for (let i = first; i < end; i++) slices.push(await series.readSlice(i));
    return { rows, columns, sliceCount: series.sliceCount, first, slices, z0, z1: Math.min(series.sliceCount, z0 + depth) };
  };
  const starts = Array.from({ length: samples }, (_, k) => Math.floor(((k + 0.5) * (series.sliceCount - depth)) / samples));
  await runSlab(backend, tiled, await slab(starts[0]));
  await runSlab(backend, whole, await slab(starts[0]));
  let tiledSeconds = 0;
  let wholeSeconds = 0;
  for (const [k, z0] of starts.entries()) {
    const input = await slab(z0);
    const order = k % 2 === 0 ? [tiled, whole] : [whole, tiled];
    for (const spec of order) {
      const [, seconds] = await timed(() => runSlab(backend, spec, input));
      if (spec === tiled) tiledSeconds += seconds;
      else wholeSeconds += seconds;
    }
  }
  const bytes = await readFile(entry.onnxPath);
  return { tiledSeconds, wholeSeconds, tiledFlops: samples * slabFlops(bytes, entry.manifest, tiled, rows, columns), slabs: samples };
}

interface StreamRun {
  slices: number;
  outputVoxels: number;
  seconds: number;
  computeSeconds: number;
  tiles: number;
  maxRssMb: number;
  /** Peak GFLOP/s measured in the child after streaming (so it does not add to maxRssMb). */
  peak: { conv: number; matmul: number };
}

/** Child-process mode: stream the first n slices through the model in a worker thread, dropping the output. */
async function streamChild(modelId: string, slices: number, args: Args): Promise<void> {
  const engine = await createInferenceEngine({ modelRoots: ['models'], provider: 'cpu', threads: args.threads, workers: 1 });
  const entry = engine.registry.getModel(modelId);
  const input = firstSlices(await loadSeries(args.series), slices);
  const spec = tilingSpec(entry.manifest);
  let computeSeconds = 0;
  const output = new TiledSource(input, spec, async (slab) => {
    const result = await engine.runSlab(entry, 'cpu', spec, slab);
    computeSeconds += result.seconds;
    return result;
  });
  let outputVoxels = 0;
  const [, seconds] = await timed(async () => {
    for (let i = 0; i < output.sliceCount; i++) outputVoxels += (await output.readSlice(i)).length;
  });
  await engine.close();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const peak = await measurePeak(args.threads);
  const run: StreamRun = { slices, outputVoxels, seconds, computeSeconds, tiles: output.stats.tiles, maxRssMb, peak };
  console.log(JSON.stringify(run));
}

async function streamInFreshProcess(modelId: string, slices: number, args: Args): Promise<StreamRun> {
  const script = path.resolve(process.cwd(), 'bench/inference.ts');
  const childArgs = ['--import', 'tsx', script, '--child', modelId, String(slices), '--threads', String(args.threads), '--series', args.series];
  const { stdout } = await promisify(execFile)(process.execPath, childArgs, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as StreamRun;
}

function depthOf(manifest: ModelManifest, series: SliceSource): number {
  return slabDepth(tilingSpec(manifest), series.geometry.rows, series.geometry.columns);
}

function pad(text: string | number, width: number): string {
  return String(text).padStart(width);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const childIndex = process.argv.indexOf('--child');
  if (childIndex >= 0) return streamChild(process.argv[childIndex + 1], Number(process.argv[childIndex + 2]), args);

  const registry = await openModelRegistry(['models']);
  const ids = args.models ?? registry.ids();
  const series = await loadSeries(args.series);
  console.log(`series ${path.basename(args.series)}: ${series.sliceCount} slices ${series.geometry.rows}x${series.geometry.columns}; threads ${args.threads}; onnxruntime-node ${ort.env.versions.node}`);
  const peakBefore = await measurePeak(args.threads);
  const results: Record<string, Record<string, number>> = {};
  const peaks = [peakBefore];
  for (const id of ids) {
    const entry = registry.getModel(id);
    const { manifest } = entry;
    const backend = await createBackend(await readFile(entry.onnxPath), {
      provider: 'cpu',
      threads: args.threads,
      inputName: manifest.tensors.input,
      outputName: manifest.tensors.output,
    });
    const timing = await timeTiling(entry, backend, series, args.timingSlices);
    await backend.close();
    const runSmall = await streamInFreshProcess(id, args.rssSlices[0], args);
    const runLarge = await streamInFreshProcess(id, args.rssSlices[1], args);
    peaks.push(runSmall.peak, runLarge.peak);
    results[id] = {
      voxels_per_s: Math.round(runLarge.outputVoxels / runLarge.seconds),
      sampled_gflops: timing.tiledFlops / timing.tiledSeconds / 1e9,
      tiling_overhead: timing.tiledSeconds / timing.wholeSeconds,
      rss_ratio: runLarge.maxRssMb / runSmall.maxRssMb,
      tiled_s_per_slab: timing.tiledSeconds / timing.slabs,
      whole_s_per_slab: timing.wholeSeconds / timing.slabs,
      stream_gflops: ((timing.tiledFlops / timing.slabs) * Math.ceil(runLarge.slices / depthOf(manifest, series))) / runLarge.computeSeconds / 1e9,
      rss_mb_small: runSmall.maxRssMb,
      rss_mb_large: runLarge.maxRssMb,
      stream_seconds: runLarge.seconds,
    };
    console.log(
      `${id} (${manifest.status}): ${pad(results[id].voxels_per_s.toExponential(3), 10)} voxels out/s (${runLarge.slices} slices streamed in ${runLarge.seconds.toFixed(1)} s); ` +
        `${results[id].sampled_gflops.toFixed(1)} GFLOP/s on the sampled slabs; tiled/whole ${results[id].tiling_overhead.toFixed(3)} ` +
        `(${results[id].tiled_s_per_slab.toFixed(3)} vs ${results[id].whole_s_per_slab.toFixed(3)} s per slab, ${timing.slabs} slabs); ` +
        `streaming ${results[id].stream_gflops.toFixed(1)} GFLOP/s in the worker; peak RSS ${runSmall.maxRssMb.toFixed(0)} MB (${runSmall.slices} slices) vs ${runLarge.maxRssMb.toFixed(0)} MB (${runLarge.slices} slices)`,
    );
  }
  peaks.push(await measurePeak(args.threads));
  // The best seen anywhere in this run: load from other processes can only lower a measurement.
  const peak = Math.max(...peaks.flatMap((p) => [p.conv, p.matmul]));
  const list = (key: 'conv' | 'matmul') => peaks.map((p) => p[key].toFixed(0)).join(' ');
  console.log(`machine peak through onnxruntime-node, ${args.threads} threads: ${peak.toFixed(1)} GFLOP/s (conv ${list('conv')}; matmul ${list('matmul')})`);
  const summary: Record<string, Record<string, number>> = {};
  for (const [id, r] of Object.entries(results)) {
    summary[id] = {
      voxels_per_s: r.voxels_per_s,
      gflops: Number(r.stream_gflops.toFixed(1)),
      peak_fraction: Number((r.stream_gflops / peak).toFixed(3)),
      tiling_overhead: Number(r.tiling_overhead.toFixed(3)),
      rss_ratio: Number(r.rss_ratio.toFixed(3)),
    };
  }
  console.log(JSON.stringify(summary));
}

await main();
