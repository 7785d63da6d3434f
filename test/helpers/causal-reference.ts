/**
 * The reference the causal-LM targets are checked against: full-vocabulary logits of the unmodified
 * graph (one sequence, no padding, raw onnxruntime), with log-softmax, top-k, entropy and the next
 * token's log-prob and rank computed in float64 JavaScript.
 */
import * as ort from 'onnxruntime-node';

export async function referenceLogits(session: ort.InferenceSession, ids: readonly number[]): Promise<Float32Array[]> {
  const S = ids.length;
  const int64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), dims);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64([...ids], [1, S]),
    attention_mask: int64(new Array<number>(S).fill(1), [1, S]),
  };
  if (session.inputNames.includes('position_ids'))
    feeds.position_ids = int64(
      ids.map((_, i) => i),
      [1, S],
    );
  if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = int64([0], []);
  const meta = session.inputMetadata;
  for (const m of meta) {
    if (!m.name.startsWith('past_key_values.') || !m.isTensor) continue;
    feeds[m.name] = new ort.Tensor('float32', new Float32Array(0), [1, Number(m.shape[1]), 0, Number(m.shape[3])]);
  }
  const logits = (await session.run(feeds, ['logits'])).logits!;
  const V = logits.dims[2]!;
  const data = logits.data as Float32Array;
  return Array.from({ length: S }, (_, t) => data.slice(t * V, (t + 1) * V));
}

export interface ReferenceRow {
  lse: number;
  logp: Float64Array;
  /** ids by descending log-prob (ties: lower id first) */
  order: number[];
  entropy: number;
}

export function referenceRow(logits: Float32Array, temperature: number): ReferenceRow {
  const scaled = Array.from(logits, (x) => x / temperature);
  const max = Math.max(...scaled);
  const lse = max + Math.log(scaled.reduce((s, x) => s + Math.exp(x - max), 0));
  const logp = Float64Array.from(scaled, (x) => x - lse);
  const order = Array.from(logp.keys()).sort((a, b) => logp[b]! - logp[a]! || a - b);
  const entropy = -logp.reduce((s, lp) => s + Math.exp(lp) * lp, 0);
  return { lse, logp, order, entropy };
}

/** Number of ids strictly more likely than `id`. */
export function rankOf(row: ReferenceRow, id: number): number {
  return row.logp.reduce((n, lp) => n + (lp > row.logp[id]! ? 1 : 0), 0);
}
