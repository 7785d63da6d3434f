/** Device names users type, mapped to onnxruntime-node execution providers. */
export type Device = 'cpu' | 'cuda' | 'webgpu' | 'auto';

export const DEVICES: readonly Device[] = Object.freeze(['cpu', 'cuda', 'webgpu', 'auto']);

/** Providers tried, in order, for each device. `auto` prefers GPUs and ends on CPU. */
export const DEVICE_CANDIDATES: Readonly<Record<Device, readonly ('cpu' | 'cuda' | 'webgpu')[]>> = Object.freeze({
  cpu: ['cpu'],
  cuda: ['cuda'],
  webgpu: ['webgpu'],
  auto: ['cuda', 'webgpu', 'cpu'],
});

export const DEVICE_INSTALL_HINT: Readonly<Record<'cuda' | 'webgpu', string>> = Object.freeze({
  cuda: 'reinstall with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` on a machine with CUDA 12 and cuDNN 9, or choose device cpu/auto',
  webgpu: 'webgpu needs a Vulkan driver and loader (libvulkan1) on Linux; or choose device cpu/auto',
});
