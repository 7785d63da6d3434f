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
  cuda: 'after `npm ci`, run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` on a machine with CUDA 12 and cuDNN 9, or choose device cpu/auto',
  webgpu: 'webgpu needs a Vulkan driver and loader (libvulkan1) on Linux; or choose device cpu/auto',
});

/**
 * Found by running fp16 graphs on onnxruntime-node 1.30's CPU provider and reading back its optimized
 * graph: only data movement (Gather, Reshape, Transpose, Cast) has fp16 CPU kernels; ORT inserts Casts
 * and computes MatMul, Add, Mul, Div, Erf, Gemm in fp32. Measured (bench/fp16-fidelity.ts): the fp16
 * BERT-base graph runs at the fp32 graph's speed on CPU, 1.03x; the fp16 graph saves nothing there.
 */
export const FP16_ON_CPU_NOTE =
  'fp16 on cpu works but is no faster than fp32: onnxruntime has fp16 CPU kernels only for data movement and computes MatMul, Add, Mul, Erf in fp32 behind Casts it inserts; use fp32 or q8 on cpu, fp16 on cuda/webgpu';
