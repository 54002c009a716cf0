/**
 * The execution providers a model can run on. 'cuda' needs onnxruntime's CUDA provider libraries
 * beside onnxruntime-node (docs/inference.md); 'webgpu' is built into onnxruntime-node and runs on
 * any GPU that has a Vulkan driver (Linux).
 */
export const PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type Provider = (typeof PROVIDERS)[number];
export type GpuProvider = Exclude<Provider, 'cpu'>;

/** How log lines name a GPU provider. */
export const GPU_PROVIDER_NAMES: Record<GpuProvider, string> = { cuda: 'CUDA', webgpu: 'WebGPU' };
