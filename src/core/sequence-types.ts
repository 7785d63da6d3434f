/**
 * Per-token teacher targets of a causal language model (issue 14). The teacher side
 * (src/teacher/causal/) produces SequenceTargets; the store and the exports consume them.
 *
 * Row p describes position `positions[p]` = t: the teacher's distribution over token t+1 given tokens 0..t,
 * computed from logits / temperature. Only scored positions have rows (see `scored`).
 */
export type ScoreScope = 'response' | 'all';

export interface SequenceOutputSpec {
  /** Softmax temperature the per-position values are computed at (T=1 for DistillKit's top_values). */
  temperature: number;
  /** k of the top-k slice (ids + log-probs over the full vocabulary, not renormalized); absent: none. */
  topK?: number;
  /** Importance-sampled ids: `draws` draws at `temperature`, kept as unique ids with counts, seeded per example. */
  samples?: { draws: number };
  /** Log-probability and rank (0 = most likely) of the actual next token, and the entropy. */
  target?: boolean;
  /** Last hidden state per scored position, fp16. */
  hidden?: boolean;
}

export interface SequenceTargets {
  /** The tokenized sequence, length S. */
  tokenIds: Int32Array;
  /** 1 where position t is scored (its row predicts token t+1), length S; the last position is never scored. */
  scored: Uint8Array;
  /** Set when the sequence was cut to the context length. */
  truncated: boolean;
  /** Index t of each row, ascending, length P. */
  positions: Int32Array;
  /** log-sum-exp of logits/T per row, length P. */
  lse: Float32Array;
  /** Top-k: ids and log-probs per row, P*k each, rows sorted by descending log-prob. */
  topk?: { k: number; ids: Int32Array; logprobs: Float32Array; tailMass: Float32Array };
  /** Samples in CSR form: row p owns ids[offsets[p]..offsets[p+1]) with their counts; draws per row = sum of counts. */
  samples?: { draws: number; offsets: Int32Array; ids: Int32Array; counts: Uint16Array };
  /** Actual next token's log-prob and rank, and the entropy of the row's distribution, length P each. */
  target?: { logprob: Float32Array; rank: Int32Array; entropy: Float32Array };
  /** fp16 bits of the last hidden state, P*size. */
  hidden?: { size: number; data: Uint16Array };
}
