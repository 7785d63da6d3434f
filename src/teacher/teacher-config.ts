import type { Device } from './devices.ts';

/** One named teacher in the registry (from the config file or the embedded defaults). */
export interface TeacherConfig {
  name: string;
  /** local model folder (Hugging Face layout); relative paths resolve against the models dir */
  path?: string;
  /** hub id, only used when remote models are enabled */
  hubId?: string;
  /** fp32 (default), fp16, q8, ... : picks onnx/model{suffix}.onnx */
  dtype?: string;
  device?: Device;
  /** intra-op threads; default all cores */
  threads?: number;
  /** where the onnxruntime session runs: its own worker thread (default) or the main thread */
  thread?: 'worker' | 'main';
  /** default: tokenizer_config model_max_length, capped by max_position_embeddings */
  maxLength?: number;
  /** padded tokens per batch */
  tokenBudget?: number;
  maxBatchSize?: number;
}
