/**
 * The sampling step of generation, owned here rather than left to transformers.js (whose one global RNG
 * makes concurrent generate() calls irreproducible): one row's next-token logits -> one token, drawing at
 * most one number from that row's own SeededRng. The order of the processors is Hugging Face's:
 * repetition penalty, then temperature, top-k, top-p. Ties go to the lower token id, so the result depends
 * only on the logits, the history, the parameters and the row's stream.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import type { GenerationParams } from '../../core/generation-params.ts';

export interface SampledToken {
  id: number;
  /** log-probability of the token under the model's own distribution (T = 1, no penalty or truncation), when asked */
  logprob?: number;
}

type SamplingParams = Pick<GenerationParams, 'temperature' | 'topK' | 'topP' | 'repetitionPenalty'>;

export function sampleToken(
  logits: Float32Array,
  history: Iterable<number>,
  params: SamplingParams,
  rng: SeededRng,
  withLogprob = true,
): SampledToken {
  const scores = penalized(logits, history, params.repetitionPenalty);
  const id = params.temperature === 0 ? argmax(scores) : draw(scores, params, rng);
  return withLogprob ? { id, logprob: logits[id]! - logSumExp(logits) } : { id };
}

/** CTRL (Keskar et al. 2019): a seen token's positive logit is divided by the penalty, a negative one multiplied. */
function penalized(logits: Float32Array, history: Iterable<number>, penalty: number): Float32Array {
  if (penalty === 1) return logits;
  const out = Float32Array.from(logits);
  for (const id of new Set(history)) {
    const s = logits[id];
    if (s === undefined) continue;
    out[id] = s > 0 ? s / penalty : s * penalty;
  }
  return out;
}

export function argmax(scores: Float32Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

export function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
  return max + Math.log(sum);
}

function draw(scores: Float32Array, params: SamplingParams, rng: SeededRng): number {
  const V = scores.length;
  const invT = 1 / params.temperature;
  let ids: number[] | undefined;
  let weights: Float64Array;
  let total = 0;
  if (params.topK > 0 && params.topK < V) {
    ids = rankedIds(scores, params.topK);
    const max = scores[ids[0]!]! * invT;
    weights = Float64Array.from(ids, (id) => Math.exp(scores[id]! * invT - max));
    for (const w of weights) total += w;
  } else {
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (scores[i]! > max) max = scores[i]!;
    max *= invT;
    const all = new Float64Array(V);
    for (let i = 0; i < V; i++) total += all[i] = Math.exp(scores[i]! * invT - max);
    // without top-k or top-p every id is a candidate, in index order: nothing to rank
    weights = all;
    if (params.topP < 1) {
      ids = nucleusIds(all, params.topP * total);
      weights = Float64Array.from(ids, (id) => all[id]!);
      total = 0;
      for (const w of weights) total += w;
    }
  }
  let kept = weights.length;
  if (params.topP < 1 && params.topK > 0 && params.topK < V) {
    // the smallest prefix (most likely first) whose mass reaches p of the whole; never empty
    let mass = 0;
    for (let i = 0; i < weights.length; i++) {
      mass += weights[i]!;
      if (mass >= params.topP * total) {
        kept = i + 1;
        break;
      }
    }
    total = 0;
    for (let i = 0; i < kept; i++) total += weights[i]!;
  }
  const u = rng.next() * total;
  let acc = 0;
  for (let i = 0; i < kept; i++) {
    acc += weights[i]!;
    if (u < acc) return ids ? ids[i]! : i;
  }
  return ids ? ids[kept - 1]! : kept - 1;
}

/**
 * The nucleus as a set, in id order: the heaviest ids (ties: lower id first) until they hold `mass`.
 * Only the weights are sorted (a native numeric sort of a Float64Array) to find the lightest weight that
 * is in; ids are then picked in one pass, so a flat distribution over a large vocabulary stays cheap.
 */
function nucleusIds(weights: Float64Array, mass: number): number[] {
  const sorted = Float64Array.from(weights).sort();
  let i = sorted.length - 1;
  for (let held = 0; i > 0; i--) {
    held += sorted[i]!;
    if (held >= mass) break;
  }
  const lightest = sorted[i]!;
  let need = mass;
  for (const w of weights) if (w > lightest) need -= w;
  const ids: number[] = [];
  for (let id = 0; id < weights.length; id++) {
    const w = weights[id]!;
    if (w > lightest) ids.push(id);
    else if (w === lightest && (need > 0 || ids.length === 0)) {
      ids.push(id);
      need -= w;
    }
  }
  return ids;
}

/** The k highest-scoring ids, highest first (ties: lower id first). */
export function rankedIds(scores: Float32Array, k: number): number[] {
  const before = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  if (k >= scores.length)
    return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (before(a, b) ? -1 : 1));
  // insertion into a sorted list of k: linear in the vocabulary for the small k sampling uses
  const top: number[] = [];
  for (let id = 0; id < scores.length; id++) {
    if (top.length === k && !before(id, top[k - 1]!)) continue;
    let at = top.length;
    while (at > 0 && before(id, top[at - 1]!)) at--;
    top.splice(at, 0, id);
    if (top.length > k) top.pop();
  }
  return top;
}
