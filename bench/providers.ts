/**
 * npm run bench:providers [-- --providers cpu,webgpu --models a,b --slices 64 --series DIR --threads N --whole-batch B]
 *
 * The node's inference engine (worker thread, tiling, normalisation, HU back) on each execution
 * provider, side by side on the same slices: for every model, slices per second streamed through
 * the model as the node runs it (the model's own tiling), the first slab's time apart (session
 * creation and, on a GPU, shader compilation), and the largest HU difference of each provider's
 * output from the first provider's. With --whole-batch B the GPU providers also run whole slices,
 * B slabs' worth per run, to show what the tiling costs there. The series' slices are read once and
 * repeated in order to make --slices slices. Last line: one JSON object keyed by model, then provider.
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { sliceNormal, type Vec3 } from '../src/imaging/geometry.js';
import { openSeries } from '../src/imaging/load-series.js';
import type { SliceSource } from '../src/imaging/slice-source.js';
import { createInferenceEngine } from '../src/inference/engine.js';
import { PROVIDERS, type Provider } from '../src/inference/providers.js';
import { TiledSource } from '../src/inference/tiled-source.js';
import { tilingSpec, type TilingSpec } from '../src/inference/tiler.js';

interface Args {
  providers: Provider[];
  models: string[];
  slices: number;
  series: string;
  threads: number;
  wholeBatch?: number;
  modelsDir: string;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const providers = (value('providers') ?? 'cpu,webgpu').split(',');
  for (const p of providers) if (!(PROVIDERS as readonly string[]).includes(p)) throw new Error(`unknown provider ${p}; one of ${PROVIDERS.join(', ')}`);
  return {
    providers: providers as Provider[],
    models: (value('models') ?? 'harmonize-v3-a0002-caudal').split(','),
    slices: Number(value('slices') ?? 32),
    series: path.resolve(value('series') ?? '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f'),
    threads: Number(value('threads') ?? os.availableParallelism()),
    wholeBatch: value('whole-batch') ? Number(value('whole-batch')) : undefined,
    modelsDir: value('models-dir') ?? 'models',
  };
}

/** The series' slices, read once, repeated in order to make n slices evenly spaced. */
async function repeatedSeries(folder: string, n: number): Promise<SliceSource> {
  const files = (await readdir(folder)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(folder, f));
  const { source } = await openSeries(files);
  const slices = await Promise.all(Array.from({ length: source.sliceCount }, (_, i) => source.readSlice(i)));
  const [first] = source.geometry.positions;
  const normal = sliceNormal(source.geometry);
  const step = source.geometry.sliceThickness ?? 1;
  const positions = Array.from({ length: n }, (_, i) => [0, 1, 2].map((k) => first[k] + i * step * normal[k]) as unknown as Vec3);
  return { geometry: { ...source.geometry, positions }, sliceCount: n, readSlice: async (i) => slices[i % slices.length].slice() };
}

interface Run {
  backend: Provider;
  firstSlabSeconds: number;
  slicesPerSecond: number;
  computeSlicesPerSecond: number;
  output: Float32Array[];
}

async function stream(modelId: string, provider: Provider, input: SliceSource, args: Args, spec?: (s: TilingSpec) => TilingSpec): Promise<Run> {
  const lines: string[] = [];
  const engine = await createInferenceEngine({ modelRoots: [args.modelsDir], provider, threads: args.threads, workers: 1, log: (l) => lines.push(l) });
  try {
    const entry = engine.registry.getModel(modelId);
    const tiling = spec ? spec(tilingSpec(entry.manifest)) : tilingSpec(entry.manifest);
    const backends = new Set<Provider>();
    let computeSeconds = 0;
    const run = () =>
      new TiledSource(input, tiling, async (slab) => {
        const result = await engine.runSlab(entry, provider, tiling, slab);
        backends.add(result.backend);
        computeSeconds += result.seconds;
        return result;
      });
    // The first slab alone: the session is created and a GPU compiles its shaders.
    const started = performance.now();
    await run().readSlice(0);
    const firstSlabSeconds = (performance.now() - started) / 1000;
    computeSeconds = 0;
    const output: Float32Array[] = [];
    const source = run();
    const t0 = performance.now();
    for (let i = 0; i < source.sliceCount; i++) output.push(await source.readSlice(i));
    const seconds = (performance.now() - t0) / 1000;
    for (const line of lines) console.log(`  ${line}`);
    if (backends.size !== 1) throw new Error(`${modelId} ran on ${[...backends].join(' and ')}`);
    return { backend: [...backends][0], firstSlabSeconds, slicesPerSecond: input.sliceCount / seconds, computeSlicesPerSecond: input.sliceCount / computeSeconds, output };
  } finally {
    await engine.close();
  }
}

function largestDifference(a: Float32Array[], b: Float32Array[]): number {
  let largest = 0;
  for (let s = 0; s < a.length; s++) for (let i = 0; i < a[s].length; i++) largest = Math.max(largest, Math.abs(a[s][i] - b[s][i]));
  return largest;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const input = await repeatedSeries(args.series, args.slices);
  console.log(
    `${input.sliceCount} slices (${path.basename(args.series)} repeated), ${input.geometry.rows}x${input.geometry.columns}; ` +
      `onnxruntime-node ${ort.env.versions.node}; ${args.threads} CPU threads; ${os.cpus()[0]?.model ?? ''}`,
  );
  const summary: Record<string, Record<string, Record<string, number | string>>> = {};
  for (const model of args.models) {
    summary[model] = {};
    let reference: Run | undefined;
    const variants: Array<[string, Provider, ((s: TilingSpec) => TilingSpec) | undefined]> = args.providers.map((p) => [p, p, undefined]);
    if (args.wholeBatch) {
      const batch = args.wholeBatch;
      const whole = (s: TilingSpec): TilingSpec => ({ ...s, tile: { ...s.tile, rows: input.geometry.rows, columns: input.geometry.columns }, batch });
      for (const p of args.providers) if (p !== 'cpu') variants.push([`${p}-whole-slices`, p, whole]);
    }
    for (const [label, provider, spec] of variants) {
      const run = await stream(model, provider, input, args, spec);
      reference ??= run;
      const difference = largestDifference(reference.output, run.output);
      const ratio = run.slicesPerSecond / reference.slicesPerSecond;
      summary[model][label] = {
        backend: run.backend,
        slices_per_s: Number(run.slicesPerSecond.toFixed(2)),
        compute_slices_per_s: Number(run.computeSlicesPerSecond.toFixed(2)),
        first_slab_s: Number(run.firstSlabSeconds.toFixed(2)),
        ratio_to_first: Number(ratio.toFixed(2)),
        max_hu_difference: Number(difference.toPrecision(3)),
      };
      console.log(
        `${model} ${label} (ran on ${run.backend}): ${run.slicesPerSecond.toFixed(2)} slices/s streamed ` +
          `(${run.computeSlicesPerSecond.toFixed(2)} in the model), ${ratio.toFixed(2)}x ${args.providers[0]}; ` +
          `first slab ${run.firstSlabSeconds.toFixed(2)} s; largest HU difference from ${args.providers[0]} ${difference.toPrecision(3)}`,
      );
    }
  }
  console.log(JSON.stringify(summary));
}

await main();
