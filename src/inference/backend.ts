import * as ort from 'onnxruntime-node';
import { ConfigError, InvalidInputError } from '../errors.js';
import { GPU_PROVIDER_NAMES, type Provider } from './providers.js';

export interface FloatTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Runs one model: a float tensor in, a float tensor out. */
export interface InferenceBackend {
  /** The execution provider that actually runs the model (after any GPU -> CPU fallback). */
  readonly name: Provider;
  run(input: FloatTensor): Promise<FloatTensor>;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** 'cuda' and 'webgpu' try that execution provider and fall back to CPU when it cannot load. */
  readonly provider: Provider;
  /** Intra-op threads of the CPU provider; 0 lets onnxruntime choose. */
  readonly threads: number;
  readonly inputName: string;
  readonly outputName: string;
  /** False: a GPU provider that cannot load is an error instead of a fallback. Default true. */
  readonly fallbackToCpu?: boolean;
  readonly cudaDeviceId?: number;
  /** Receives the one line that says a GPU provider was asked for and CPU runs instead. */
  readonly log?: (line: string) => void;
}

function executionProvider(provider: Provider, options: BackendOptions): ort.InferenceSession.ExecutionProviderConfig {
  switch (provider) {
    case 'cuda':
      return { name: 'cuda', deviceId: options.cudaDeviceId ?? 0 };
    case 'webgpu':
      return { name: 'webgpu' };
    case 'cpu':
      return 'cpu';
  }
}

function sessionOptions(options: BackendOptions, provider: Provider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [executionProvider(provider, options)],
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();
}

async function openSession(modelBytes: Uint8Array, options: BackendOptions): Promise<{ session: ort.InferenceSession; provider: Provider }> {
  if (options.provider === 'cpu') {
    return { session: await ort.InferenceSession.create(modelBytes, sessionOptions(options, 'cpu')), provider: 'cpu' };
  }
  // Asking onnxruntime for ['cuda', 'cpu'] does not fall back by itself when the CUDA library
  // cannot load (nor ['webgpu', 'cpu'] when no adapter is found): it throws. So try the GPU
  // provider alone, then CPU.
  const provider = options.provider;
  try {
    return { session: await ort.InferenceSession.create(modelBytes, sessionOptions(options, provider)), provider };
  } catch (error) {
    if (options.fallbackToCpu === false) {
      throw new ConfigError(`inference provider ${provider} cannot be used: ${firstLine(error)}`, error);
    }
    options.log?.(`inference: ${GPU_PROVIDER_NAMES[provider]} execution provider unavailable (${firstLine(error)}); running on CPU`);
    return { session: await ort.InferenceSession.create(modelBytes, sessionOptions(options, 'cpu')), provider: 'cpu' };
  }
}

function checkTensorNames(session: ort.InferenceSession, options: BackendOptions): void {
  if (!session.inputNames.includes(options.inputName) || !session.outputNames.includes(options.outputName)) {
    throw new ConfigError(
      `model tensors are ${session.inputNames.join(',')} -> ${session.outputNames.join(',')}, ` +
        `the manifest names ${options.inputName} -> ${options.outputName}`,
    );
  }
}

/** Opens an onnxruntime-node session for the model bytes on the configured provider. */
export async function createBackend(modelBytes: Uint8Array, options: BackendOptions): Promise<InferenceBackend> {
  // The runtime's own logger prints provider-load failures as errors; we report them in one line.
  ort.env.logLevel = 'fatal';
  const { session, provider } = await openSession(modelBytes, options);
  checkTensorNames(session, options);
  return {
    name: provider,
    async run(input) {
      const expected = input.shape.reduce((a, b) => a * b, 1);
      if (expected !== input.data.length) {
        throw new InvalidInputError(`tensor of shape ${input.shape.join('x')} needs ${expected} values, got ${input.data.length}`);
      }
      const feeds = { [options.inputName]: new ort.Tensor('float32', input.data, [...input.shape]) };
      const results = await session.run(feeds, [options.outputName]);
      const output = results[options.outputName];
      if (output.type !== 'float32') throw new ConfigError(`model output ${options.outputName} is ${output.type}, expected float32`);
      return { data: output.data as Float32Array, shape: [...output.dims] };
    },
    close: () => session.release(),
  };
}
