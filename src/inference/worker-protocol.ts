import { ConfigError, InvalidInputError, NodeError, UnavailableError } from '../errors.js';
import type { Provider } from './providers.js';
import type { SlabInput } from './slab.js';
import type { TilingSpec } from './tiler.js';

/** The ONNX file a worker opens, and the tensor names its manifest declares. */
export interface ModelRef {
  readonly onnxPath: string;
  readonly inputName: string;
  readonly outputName: string;
}

export interface InferenceThreadSettings {
  readonly threads: number;
  readonly fallbackToCpu: boolean;
}

export interface SlabRequest {
  readonly id: number;
  readonly model: ModelRef;
  readonly provider: Provider;
  readonly spec: TilingSpec;
  readonly slab: SlabInput;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly retryable: boolean;
}

export type WorkerReply =
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'done'; readonly id: number; readonly slices: Float32Array[]; readonly tiles: number; readonly backend: Provider; readonly seconds: number }
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof NodeError) return { name: error.name, message: error.message, retryable: error.retryable };
  const message = error instanceof Error ? error.message : String(error);
  return { name: error instanceof Error ? error.name : 'Error', message, retryable: false };
}

/** Rebuilds an error from a worker as the same NodeError class, so retry decisions survive the thread hop. */
export function deserializeError(error: SerializedError): Error {
  switch (error.name) {
    case 'ConfigError':
      return new ConfigError(error.message);
    case 'InvalidInputError':
      return new InvalidInputError(error.message);
    case 'UnavailableError':
      return new UnavailableError(error.message);
    default:
      return new NodeError(`inference worker: ${error.name}: ${error.message}`, { retryable: error.retryable });
  }
}
