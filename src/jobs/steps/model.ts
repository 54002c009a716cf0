import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { SliceSource } from '../../imaging/slice-source.js';
import { assertAccepts, type SeriesDescriptor } from '../../inference/accepts.js';
import { PROVIDERS, type Provider } from '../../inference/providers.js';
import type { InferenceEngine } from '../../inference/engine.js';
import type { ModelManifest } from '../../inference/manifest.js';
import type { ModelEntry } from '../../inference/registry.js';
import { modelOutputSource } from '../../inference/model-source.js';
import type { FullRangeSource } from '../../inference/outside-window.js';
import { tileColumns, tileRows, tilingSpec } from '../../inference/tiler.js';
import type { SlabResult } from '../../inference/worker-pool.js';
import type { SeriesData, Step, StepContext, StepKind } from './step.js';

export interface ModelStepOptions {
  /** Model id (the folder name under models/). */
  readonly model: string;
  /** Overrides the engine's default execution provider for this step. */
  readonly backend?: Provider;
  /** Lets a benchmark or test name a model whose manifest says untrained-random-weights. */
  readonly allowUntrained?: boolean;
}

const options = z.strictObject({
  model: z.string().min(1),
  backend: z.enum(PROVIDERS).optional(),
  allowUntrained: z.boolean().optional(),
});

function engineFrom(context: StepContext): InferenceEngine {
  if (!context.inference) throw new ConfigError('model step: no inference engine is configured on this node');
  return context.inference;
}

function label(manifest: ModelManifest): string {
  const base = manifest.seriesLabel ?? (manifest.task === 'harmonize' ? 'HARMONIZED' : `SR${manifest.output.scale.inPlane}X`);
  return manifest.status === 'trained' ? base : `${base}-UNTRAINED`;
}

function derivation(manifest: ModelManifest): string {
  const status = manifest.status === 'trained' ? '' : ` ${manifest.status.toUpperCase()}, NOT A TRAINED MODEL;`;
  const [low, high] = manifest.normalization.huWindow;
  return (
    `${manifest.task === 'harmonize' ? 'Kernel harmonization' : 'Super-resolution'} by model ` +
    `${manifest.id}@${manifest.version} (${manifest.dimensionality};${status} HU window ${low}..${high}, ` +
    `outside it ${outsideWindowLabel(manifest)}; tiled ` +
    `${tileRows(manifest)}x${tileColumns(manifest)} px, halo ${manifest.halo.inPlane} px)`
  );
}

function outsideWindowLabel(manifest: ModelManifest): string {
  const counterpart = manifest.normalization.outsideWindow;
  if (counterpart.method === 'matched-gaussian') return 'the Gaussian matched to the model per slice';
  if (counterpart.method === 'gaussian') return `Gaussian ${counterpart.sigmaMm} mm`;
  if (counterpart.method === 'pass-through') {
    const above = counterpart.aboveHu === undefined ? 'its input unchanged' : `and from ${counterpart.aboveHu} HU up its input unchanged`;
    return counterpart.bodyOnly ? `${above}, outside the body too` : above;
  }
  return manifest.output.scale.inPlane === 1 && manifest.output.scale.z === 1 ? 'unchanged' : 'bicubic';
}

/** What the next step sees: a harmonized series has the model's target kernel family. */
function outputSeries(manifest: ModelManifest, input: SeriesDescriptor): SeriesDescriptor {
  if (manifest.task !== 'harmonize') return input;
  return {
    ...input,
    convolutionKernel: manifest.output.targetKernel ? [manifest.output.targetKernel] : input.convolutionKernel,
    kernelFamily: manifest.output.kernelFamily ?? 'unknown',
  };
}

class ModelStep implements Step {
  readonly label: string;
  readonly derivation: string;
  readonly generated = true;
  private readonly ran = new Set<Provider>();
  private tiles = 0;
  private seconds = 0;
  private output: FullRangeSource | undefined;

  constructor(
    private readonly model: ModelEntry,
    private readonly engine: InferenceEngine,
    private readonly provider: Provider,
  ) {
    this.label = label(model.manifest);
    this.derivation = derivation(model.manifest);
  }

  async apply({ source: input, series }: SeriesData): Promise<SeriesData> {
    // Refuses before anything is sent to a worker.
    assertAccepts(this.model.manifest, series, input.geometry);
    const spec = tilingSpec(this.model.manifest);
    const source = modelOutputSource(this.model.manifest, input, (slab) =>
      this.engine.runSlab(this.model, this.provider, spec, slab).then((r) => this.record(r)),
    );
    this.output = source;
    return { source, series: outputSeries(this.model.manifest, series) };
  }

  report(): Record<string, unknown> {
    const { id, version, status } = this.model.manifest;
    const backend = this.ran.size === 0 ? undefined : [...this.ran].sort().join('+');
    const sigmas = [...(this.output?.matchedSigmasMm.values() ?? [])];
    const matched = sigmas.length === 0 ? {} : { outsideWindowSigmaMm: [Math.min(...sigmas), Math.max(...sigmas)] };
    return { backend, model: `${id}@${version}`, status, tiles: this.tiles, seconds: Number(this.seconds.toFixed(3)), ...matched };
  }

  private record(result: SlabResult): SlabResult {
    this.ran.add(result.backend);
    this.tiles += result.tiles;
    this.seconds += result.seconds;
    return result;
  }
}

/** Runs a model from the registry over the series, tiled, in the engine's worker threads. */
/** A model with random weights is a benchmark stand-in: a rule names it only with allowUntrained. */
function usable(status: string, options: ModelStepOptions): boolean {
  return status !== 'untrained-random-weights' || options.allowUntrained === true;
}

function refinesOnly(id: string, refines: string): string {
  return `model '${id}' was trained to correct the output of ${refines}: name it as the refine of a ${refines} step, not on its own`;
}

export const modelStep: StepKind<ModelStepOptions> = {
  kind: 'model',
  options,
  async create(stepOptions, context): Promise<Step> {
    const engine = engineFrom(context);
    const model = engine.registry.getModel(stepOptions.model);
    if (!usable(model.manifest.status, stepOptions)) {
      throw new ConfigError(
        `model ${model.manifest.id} has untrained random weights (a benchmark stand-in); a rule may name it only with allowUntrained: true`,
      );
    }
    const refines = model.manifest.refines;
    if (refines && context.refining !== refines) throw new ConfigError(refinesOnly(model.manifest.id, refines));
    return new ModelStep(model, engine, stepOptions.backend ?? engine.provider);
  },
  check(stepOptions, known) {
    if (!known.models) return {};
    const model = known.models.get(stepOptions.model);
    if (!model) return { problems: [{ path: ['model'], message: `no model '${stepOptions.model}' in the registry (known: ${[...known.models.keys()].sort().join(', ') || 'none'})` }] };
    if (!usable(model.status, stepOptions)) return { problems: [{ path: ['model'], message: `model '${stepOptions.model}' is ${model.status}: set allowUntrained to use it` }] };
    if (model.refines && known.refining !== model.refines) return { problems: [{ path: ['model'], message: refinesOnly(stepOptions.model, model.refines) }] };
    return {};
  },
};
