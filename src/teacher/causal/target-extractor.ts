/**
 * Batch outputs of the targets graph (expose-targets.ts) -> one SequenceTargets per example. The graph
 * computed rows only for the scored positions, in feed order: an example's rows are the contiguous
 * range starting at its `start`. Everything read here is bounded by scored rows x K.
 *
 * Sampling (the RS-KD estimator's ids and counts) happens here, from the graph's top-M log-probs
 * (M = max(k, sample support)): `draws` inverse-CDF draws over the top-M probabilities, with one
 * SeededRng stream per (example seed, position), so a rerun, a different batch or a different
 * padding side gives the same ids. Draws come from the distribution restricted to the top M and
 * renormalized: exact when the vocabulary is at most M, otherwise each kept probability is
 * overestimated by the factor 1 / (1 - tail mass beyond M), which the top-k tail mass bounds.
 */
import { SeededRng } from '../../core/seeded-rng.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../core/sequence-types.ts';
import { type EncodedSequence, scoredPositions } from './sequence-input.ts';

export interface TargetTensors {
  /** K of the graph's TopK (>= the spec's k) */
  support: number;
  lse: Float32Array;
  topkLogprobs?: Float32Array;
  topkIds?: BigInt64Array;
  entropy?: Float32Array;
  nextLogprob?: Float32Array;
  nextRank?: Float32Array;
  hidden?: Uint16Array;
  hiddenSize: number;
}

function drawSamples(
  logprobs: Float32Array,
  ids: BigInt64Array,
  from: number,
  m: number,
  draws: number,
  rng: SeededRng,
): Map<number, number> {
  const cumulative = new Float64Array(m);
  let total = 0;
  for (let j = 0; j < m; j++) cumulative[j] = total += Math.exp(logprobs[from + j]!);
  const counts = new Map<number, number>();
  for (let d = 0; d < draws; d++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    const id = Number(ids[from + lo]!);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export function extractRow(
  t: TargetTensors,
  start: number,
  enc: EncodedSequence,
  spec: SequenceOutputSpec,
  seed: string,
): SequenceTargets {
  const scored = scoredPositions(enc.targets);
  const positions: number[] = [];
  for (let p = 0; p < scored.length; p++) if (scored[p]) positions.push(p);
  const P = positions.length;
  // the graph's row of position positions[r] is start + r
  const index = new Map(positions.map((p, r) => [p, start + r]));
  const flat = (p: number) => index.get(p)!;
  const out: SequenceTargets = {
    tokenIds: Int32Array.from(enc.ids),
    scored,
    truncated: enc.truncated,
    positions: Int32Array.from(positions),
    lse: Float32Array.from(positions, (p) => t.lse[flat(p)]!),
  };
  const M = t.support;
  if (spec.topK && t.topkLogprobs && t.topkIds) {
    const k = spec.topK;
    const ids = new Int32Array(P * k);
    const logprobs = new Float32Array(P * k);
    const tailMass = new Float32Array(P);
    positions.forEach((p, r) => {
      const from = flat(p) * M;
      let mass = 0;
      for (let j = 0; j < k; j++) {
        ids[r * k + j] = Number(t.topkIds![from + j]);
        logprobs[r * k + j] = t.topkLogprobs![from + j]!;
        mass += Math.exp(t.topkLogprobs![from + j]!);
      }
      tailMass[r] = Math.max(0, 1 - mass);
    });
    out.topk = { k, ids, logprobs, tailMass };
  }
  if (spec.samples && t.topkLogprobs && t.topkIds) {
    const { draws } = spec.samples;
    const rng = new SeededRng(seed);
    const offsets = new Int32Array(P + 1);
    const ids: number[] = [];
    const counts: number[] = [];
    positions.forEach((p, r) => {
      const drawn = drawSamples(t.topkLogprobs!, t.topkIds!, flat(p) * M, M, draws, rng.fork(p));
      for (const id of [...drawn.keys()].sort((a, b) => a - b)) {
        ids.push(id);
        counts.push(drawn.get(id)!);
      }
      offsets[r + 1] = ids.length;
    });
    out.samples = { draws, offsets, ids: Int32Array.from(ids), counts: Uint16Array.from(counts) };
  }
  if (spec.target && t.nextLogprob && t.nextRank && t.entropy) {
    out.target = {
      logprob: Float32Array.from(positions, (p) => t.nextLogprob![flat(p)]!),
      rank: Int32Array.from(positions, (p) => t.nextRank![flat(p)]!),
      entropy: Float32Array.from(positions, (p) => t.entropy![flat(p)]!),
    };
  }
  if (spec.hidden && t.hidden) {
    const size = t.hiddenSize;
    const data = new Uint16Array(P * size);
    positions.forEach((p, r) => data.set(t.hidden!.subarray(flat(p) * size, (flat(p) + 1) * size), r * size));
    out.hidden = { size, data };
  }
  return out;
}
