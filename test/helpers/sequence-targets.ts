/**
 * SequenceTargets computed from real distributions: each scored row is the softmax of seeded random
 * logits with an LM-like shape (Gaussian noise plus a few strongly preferred tokens, so the top token
 * holds 30-90% of the mass and the entropy is a few nats), and token t+1 is drawn from row t, so
 * target ranks look like a teacher's. Everything follows from the seed.
 */
import { SeededRng } from '../../src/core/seeded-rng.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';

export interface RowDistribution {
  /** log-probabilities over the whole vocabulary (float64) */
  logprobs: Float64Array;
  lse: number;
}

function gaussian(rng: SeededRng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** One next-token distribution over `vocab` tokens at temperature `temperature`. */
export function rowDistribution(rng: SeededRng, vocab: number, temperature = 1): RowDistribution {
  const z = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) z[i] = 2 * gaussian(rng);
  // a handful of plausible continuations, one of them clearly preferred
  const favourites = 1 + rng.int(6);
  for (let f = 0; f < favourites; f++) z[rng.int(vocab)]! += (f === 0 ? 14 : 9) + 3 * rng.next();
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) {
    z[i] = z[i]! / temperature;
    if (z[i]! > max) max = z[i]!;
  }
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(z[i]! - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < vocab; i++) z[i] = z[i]! - lse;
  return { logprobs: z, lse };
}

/** The k most likely ids, by descending log-prob (ties by id). */
export function topKOf(lp: Float64Array, k: number): Int32Array {
  const sorted = Float64Array.from(lp).sort();
  const threshold = sorted[lp.length - k]!;
  const ids: number[] = [];
  for (let i = 0; i < lp.length; i++) if (lp[i]! > threshold) ids.push(i);
  for (let i = 0; i < lp.length && ids.length < k; i++) if (lp[i] === threshold) ids.push(i);
  ids.sort((a, b) => lp[b]! - lp[a]! || a - b);
  return Int32Array.from(ids);
}

function drawFrom(rng: SeededRng, lp: Float64Array): number {
  let u = rng.next();
  for (let i = 0; i < lp.length; i++) {
    u -= Math.exp(lp[i]!);
    if (u <= 0) return i;
  }
  return lp.length - 1;
}

export interface MadeTargets {
  targets: SequenceTargets;
  /** the exact distribution of each row, to measure codec error against */
  rows: RowDistribution[];
}

/**
 * A sequence of `length` tokens whose first `promptLength` tokens are the prompt: rows for the
 * response positions (t+1 in the response), with the outputs `spec` asks for.
 */
export function makeTargets(
  seed: string | number,
  vocab: number,
  length: number,
  promptLength: number,
  spec: SequenceOutputSpec,
  hiddenSize = 8,
): MadeTargets {
  const rng = new SeededRng(seed);
  const tokenIds = new Int32Array(length);
  const scored = new Uint8Array(length);
  for (let t = promptLength - 1; t < length - 1; t++) if (t >= 0) scored[t] = 1;
  const rows: RowDistribution[] = [];
  const positions: number[] = [];
  tokenIds[0] = rng.int(vocab);
  for (let t = 0; t < length - 1; t++) {
    if (!scored[t]) {
      tokenIds[t + 1] = rng.int(vocab);
      continue;
    }
    const row = rowDistribution(rng, vocab, spec.temperature);
    rows.push(row);
    positions.push(t);
    tokenIds[t + 1] = drawFrom(rng, row.logprobs);
  }
  const P = rows.length;
  const targets: SequenceTargets = {
    tokenIds,
    scored,
    truncated: false,
    positions: Int32Array.from(positions),
    lse: Float32Array.from(rows.map((r) => r.lse)),
  };
  if (spec.topK !== undefined) {
    const k = spec.topK;
    const ids = new Int32Array(P * k);
    const logprobs = new Float32Array(P * k);
    const tailMass = new Float32Array(P);
    rows.forEach((r, p) => {
      const top = topKOf(r.logprobs, k);
      ids.set(top, p * k);
      let mass = 0;
      top.forEach((id, j) => {
        logprobs[p * k + j] = r.logprobs[id]!;
        mass += Math.exp(r.logprobs[id]!);
      });
      tailMass[p] = Math.max(0, 1 - mass);
    });
    targets.topk = { k, ids, logprobs, tailMass };
  }
  if (spec.samples) {
    const draws = spec.samples.draws;
    const offsets = new Int32Array(P + 1);
    const ids: number[] = [];
    const counts: number[] = [];
    rows.forEach((r, p) => {
      const byId = new Map<number, number>();
      for (let d = 0; d < draws; d++) {
        const id = drawFrom(rng, r.logprobs);
        byId.set(id, (byId.get(id) ?? 0) + 1);
      }
      for (const [id, c] of byId) {
        ids.push(id);
        counts.push(c);
      }
      offsets[p + 1] = ids.length;
    });
    targets.samples = { draws, offsets, ids: Int32Array.from(ids), counts: Uint16Array.from(counts) };
  }
  if (spec.target) {
    const logprob = new Float32Array(P);
    const rank = new Int32Array(P);
    const entropy = new Float32Array(P);
    rows.forEach((r, p) => {
      const next = tokenIds[positions[p]! + 1]!;
      const lpNext = r.logprobs[next]!;
      logprob[p] = lpNext;
      let above = 0;
      let h = 0;
      for (let i = 0; i < vocab; i++) {
        const lp = r.logprobs[i]!;
        if (lp > lpNext) above++;
        h -= Math.exp(lp) * lp;
      }
      rank[p] = above;
      entropy[p] = h;
    });
    targets.target = { logprob, rank, entropy };
  }
  if (spec.hidden) {
    const data = new Uint16Array(P * hiddenSize);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(0x7c00); // finite positive halves
    targets.hidden = { size: hiddenSize, data };
  }
  return { targets, rows };
}
