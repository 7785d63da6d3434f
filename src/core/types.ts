/** Pure value types shared by every module. */

/** One input: a single text or a text pair (MRPC style). */
export interface TextInput {
  text: string;
  /** second segment of a pair */
  textPair?: string;
}

export type Origin =
  | { kind: 'original' }
  | {
      kind: 'augmentation';
      parentId: string;
      /** op names applied in order, e.g. ['synonym', 'swap'] */
      ops: string[];
      params: Record<string, unknown>;
      seed: string;
      /** token positions changed in the output */
      changed: number[];
    };

export interface Example extends TextInput {
  id: string;
  label?: string | number | null;
  origin: Origin;
}

export type Pooling = 'cls' | 'mean' | 'none';
export type Encoding = 'fp32' | 'fp16' | 'int8';

/** What a caller wants from the teacher for each input. */
export interface OutputSpec {
  logits: boolean;
  /** probabilities softmax(z / T) for each T, derived from logits */
  temperatures: number[];
  topK?: number;
  hidden?: { layers: 'all' | 'last' | number[]; pooling: Pooling };
  attentions?: { layers: 'all' | 'last' | number[] };
  encoding: Encoding;
}

export const DEFAULT_OUTPUT_SPEC: OutputSpec = Object.freeze({
  logits: true,
  temperatures: [1],
  encoding: 'fp32',
}) as OutputSpec;

/** Top-k of one logits row plus the log-sum-exp of the whole row, so the tail mass is known. */
export interface TopK {
  ids: Int32Array;
  logits: Float32Array;
  logSumExp: number;
}

/** A tensor of one example, row-major. */
export interface TensorValue {
  data: Float32Array;
  shape: number[];
}

/** Everything the teacher produced for one input, as selected by an OutputSpec. */
export interface TeacherOutput {
  /** [numLabels] for sequence classification, [tokens, vocab] never: token heads use topK */
  logits?: Float32Array;
  /** one entry per requested temperature, same order as spec.temperatures */
  probs?: Float32Array[];
  /** sequence heads: one TopK; token heads (masked LM): one TopK per real token */
  topK?: TopK[];
  /** per requested layer: pooled [hidden] or per token [tokens, hidden] */
  hidden?: { layer: number; pooling: Pooling; value: TensorValue }[];
  /** per requested layer: [heads, tokens, tokens] without padding positions */
  attentions?: { layer: number; value: TensorValue }[];
  /** real (non-padding) tokens fed to the model */
  tokens: number;
  /** the input was cut to the model's max length */
  truncated: boolean;
}

/** The teacher engine's contract, as seen by the store, the jobs and the HTTP API. */
export interface TeacherInfo {
  name: string;
  fingerprint: string;
  task: 'text-classification' | 'fill-mask';
  labels: string[];
  device: string;
  dtype: string;
  maxLength: number;
  /** number of hidden-state outputs (embeddings + layers) the graph exposes; 0 if none */
  hiddenLayers: number;
  attentionLayers: number;
}

export interface TeacherRunner {
  readonly info: TeacherInfo;
  /** outputs in input order; same values whatever the batch composition */
  infer(inputs: TextInput[], spec: OutputSpec, opts?: { signal?: AbortSignal }): Promise<TeacherOutput[]>;
  dispose(): Promise<void>;
}
