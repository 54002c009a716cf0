/**
 * inference/ — trained generators: the model registry and manifests (checked against the ONNX
 * graph), onnxruntime-node backends (CPU, CUDA) in worker threads, tiling with halos, and the
 * classical counterpart that carries every HU outside a model's window.
 * May import: imaging, route (kernel taxonomy), config (types), errors, validation.
 */
export { createInferenceEngine, startInferenceEngine, type InferenceEngine } from './engine.js';
export { modelOutputSource } from './model-source.js';
