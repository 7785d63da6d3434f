/**
 * Realistic causal-LM targets for the sequence benches: a pool of rows computed from real
 * distributions (softmax of seeded LM-shaped logits, test/helpers/sequence-targets.ts) and
 * sequences whose rows are drawn from the pool, so a bench of any size sees realistic values
 * without computing a 151,936-way softmax per position.
 */
import { SeededRng } from '../src/core/seeded-rng.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../src/core/sequence-types.ts';
import { rowDistribution, topKOf } from '../test/helpers/sequence-targets.ts';

export interface PoolShape {
  vocab: number;
  k: number;
  draws: number;
}

export interface PoolRow {
  ids: Int32Array;
  logprobs: Float32Array;
  tailMass: number;
  lse: number;
  sampleIds: number[];
  sampleCounts: number[];
  next: number;
  nextLogprob: number;
  entropy: number;
}

export function poolRow(rng: SeededRng, { vocab: VOCAB, k: K, draws: DRAWS }: PoolShape): PoolRow {
  const { logprobs: lp, lse } = rowDistribution(rng, VOCAB);
  const ids = topKOf(lp, K);
  const logprobs = Float32Array.from(ids, (id) => lp[id]!);
  let mass = 0;
  for (const v of logprobs) mass += Math.exp(v);
  const cdf = new Float64Array(VOCAB);
  let acc = 0;
  let entropy = 0;
  for (let i = 0; i < VOCAB; i++) {
    const p = Math.exp(lp[i]!);
    acc += p;
    cdf[i] = acc;
    entropy -= p * lp[i]!;
  }
  const counts = new Map<number, number>();
  for (let d = 0; d < DRAWS; d++) {
    const u = rng.next() * acc;
    let lo = 0;
    let hi = VOCAB - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    counts.set(lo, (counts.get(lo) ?? 0) + 1);
  }
  const next = [...counts.keys()][0]!;
  return {
    ids,
    logprobs,
    tailMass: Math.max(0, 1 - mass),
    lse,
    sampleIds: [...counts.keys()],
    sampleCounts: [...counts.values()],
    next,
    nextLogprob: lp[next]!,
    entropy,
  };
}

/** A sequence of seq+1 tokens, every position but the last scored. */
export function sequence(
  rng: SeededRng,
  pool: PoolRow[],
  spec: SequenceOutputSpec,
  SEQ: number,
  { vocab: VOCAB, k: K, draws: DRAWS }: PoolShape,
): SequenceTargets {
  const S = SEQ + 1;
  const tokenIds = Int32Array.from({ length: S }, () => rng.int(VOCAB));
  const scored = new Uint8Array(S).fill(1);
  scored[S - 1] = 0;
  const rows = Array.from({ length: SEQ }, () => pool[rng.int(pool.length)]!);
  const t: SequenceTargets = {
    tokenIds,
    scored,
    truncated: false,
    positions: Int32Array.from({ length: SEQ }, (_, i) => i),
    lse: Float32Array.from(rows, (r) => r.lse),
  };
  const ids = new Int32Array(SEQ * K);
  const logprobs = new Float32Array(SEQ * K);
  rows.forEach((r, p) => {
    ids.set(r.ids, p * K);
    logprobs.set(r.logprobs, p * K);
  });
  t.topk = { k: K, ids, logprobs, tailMass: Float32Array.from(rows, (r) => r.tailMass) };
  if (spec.samples) {
    const offsets = new Int32Array(SEQ + 1);
    rows.forEach((r, p) => (offsets[p + 1] = offsets[p]! + r.sampleIds.length));
    t.samples = {
      draws: DRAWS,
      offsets,
      ids: Int32Array.from(rows.flatMap((r) => r.sampleIds)),
      counts: Uint16Array.from(rows.flatMap((r) => r.sampleCounts)),
    };
  }
  if (spec.target)
    t.target = {
      logprob: Float32Array.from(rows, (r) => r.nextLogprob),
      rank: Int32Array.from(rows, (r) => Math.max(0, r.ids.indexOf(r.next))),
      entropy: Float32Array.from(rows, (r) => r.entropy),
    };
  return t;
}
