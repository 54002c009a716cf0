import type { NodeConfig } from '../config/schema.js';
import type { Provider } from './providers.js';
import { openModelRegistry, type ModelEntry, type ModelRegistry } from './registry.js';
import type { SlabInput } from './slab.js';
import type { TilingSpec } from './tiler.js';
import { InferenceWorkerPool, type SlabResult } from './worker-pool.js';

export interface InferenceEngineOptions {
  /** Folders holding <id>/manifest.json model folders, e.g. ['models']. */
  readonly modelRoots: readonly string[];
  /** Default execution provider; 'cuda' and 'webgpu' fall back to CPU (logged once) unless fallbackToCpu is false. */
  readonly provider: Provider;
  /** onnxruntime intra-op threads per worker. */
  readonly threads: number;
  /** Worker threads, i.e. the most slabs run at once across all jobs. */
  readonly workers: number;
  readonly fallbackToCpu?: boolean;
  readonly log?: (line: string) => void;
}

/** What the model step needs from the node: the registry and somewhere to run slabs. */
export interface InferenceEngine {
  readonly registry: ModelRegistry;
  readonly provider: Provider;
  runSlab(model: ModelEntry, provider: Provider, spec: TilingSpec, slab: SlabInput): Promise<SlabResult>;
  close(): Promise<void>;
}

export async function createInferenceEngine(options: InferenceEngineOptions): Promise<InferenceEngine> {
  const registry = await openModelRegistry(options.modelRoots);
  const pool = new InferenceWorkerPool({
    size: options.workers,
    threads: options.threads,
    fallbackToCpu: options.fallbackToCpu,
    log: options.log,
  });
  return {
    registry,
    provider: options.provider,
    runSlab(model, provider, spec, slab) {
      const { input, output } = model.manifest.tensors;
      return pool.runSlab({ onnxPath: model.onnxPath, inputName: input, outputName: output }, provider, spec, slab);
    },
    close: () => pool.close(),
  };
}

/** The inference engine as the configuration sets it up (the node and offline processing alike). */
export function startInferenceEngine(config: Pick<NodeConfig, 'inference'>, log: (line: string) => void): Promise<InferenceEngine> {
  return createInferenceEngine({
    modelRoots: [config.inference.modelsDir],
    provider: config.inference.provider,
    threads: config.inference.threads,
    workers: config.inference.workers,
    log,
  });
}
