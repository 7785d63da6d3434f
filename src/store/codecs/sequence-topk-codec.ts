/**
 * Top-k rows of a causal-LM teacher (ids + log-probs over the full vocabulary, rows sorted by
 * descending log-prob) in about 2.3 bytes per entry at k=128 with a 151,936-token vocabulary.
 *
 * Each row is split where precision stops mattering:
 * - the head (the `head` most likely entries, 16 by default) keeps its rank order: ids at the
 *   smallest width that holds the vocabulary, log-probs quantized on a grid of 2^-headStepLog2 nats
 *   (the depths -logprob are non-decreasing, so their grid indices go out as Rice-coded gaps);
 * - the tail carries no order of its own: its ids are sorted and their gaps Rice-coded (a set of
 *   m ids out of V costs about log2(V/m) + 1.5 bits an id instead of log2(V)), and each log-prob is
 *   quantized on the coarser grid 2^-tailStepLog2 below the last head value.
 * Decoding (sequence-topk-decode.ts) re-sorts the tail by value, so rows come back sorted by descending log-prob.
 *
 * Guaranteed error, |decoded - original| log-prob: at most 2^-(headStepLog2+1) on the head
 * (1/64 = 0.0156 nats by default) and 2^-(tailStepLog2+1) on the tail (1/16 by default); values
 * below -1e4 (and -Infinity) come back as -1e4. The log-sum-exp is kept as float32 and the tail mass
 * as float16 (relative error <= 2^-11 above 6.1e-5, absolute error <= 3e-8 below).
 *
 * Layout after the sequence header (kind topk, params [head, headStepLog2, tailStepLog2], a = k,
 * b = vocabulary size): f32 lse[P] | u16 fp16 tailMass[P] | bit stream of the P rows.
 */
import { DistilleryError } from '../../core/errors.ts';
import { encodeFloat16 } from '../../core/float16.ts';
import { BitWriter, bestRiceParameter } from './bit-stream.ts';
import { SEQUENCE_HEADER_BYTES, idBits, typedBytes, writeSequenceHeader } from './sequence-blob.ts';

export interface TopKQuantizer {
  /** Entries per row kept in rank order at the fine step. */
  head: number;
  /** Fine grid: 2^-headStepLog2 nats. */
  headStepLog2: number;
  /** Coarse grid of the tail: 2^-tailStepLog2 nats. */
  tailStepLog2: number;
}

export const DEFAULT_TOPK_QUANTIZER: TopKQuantizer = Object.freeze({ head: 16, headStepLog2: 5, tailStepLog2: 3 });

/** The largest |decoded - original| log-prob on the head and on the tail of a row (see the file comment). */
export const topKErrorBound = (q: TopKQuantizer): { head: number; tail: number } => ({
  head: 2 ** -(q.headStepLog2 + 1),
  tail: 2 ** -(q.tailStepLog2 + 1),
});

/** Log-probs below this come back as it: DistillKit's padding value, finite so that 0 * log p stays 0. */
export const LOGPROB_FLOOR = -1e4;
const MAX_PARAM = 24;

export interface SequenceTopK {
  k: number;
  ids: Int32Array;
  logprobs: Float32Array;
  tailMass: Float32Array;
}

function checkQuantizer(q: TopKQuantizer): void {
  const ok =
    Number.isInteger(q.head) &&
    q.head >= 0 &&
    q.head <= 255 &&
    Number.isInteger(q.headStepLog2) &&
    Number.isInteger(q.tailStepLog2) &&
    q.headStepLog2 >= 0 &&
    q.headStepLog2 <= 8 &&
    q.tailStepLog2 >= 0 &&
    q.tailStepLog2 <= q.headStepLog2;
  if (!ok)
    throw new DistilleryError(
      'INVALID_INPUT',
      `top-k quantizer ${JSON.stringify(q)} is invalid: head 0..255, 0 <= tailStepLog2 <= headStepLog2 <= 8`,
    );
}

/** Depth (-logprob) in [0, -LOGPROB_FLOOR]; NaN is refused by the callers' checks. */
const depth = (lp: number): number => (lp >= 0 ? 0 : lp < LOGPROB_FLOOR ? -LOGPROB_FLOOR : -lp);

export function encodeSequenceTopK(
  topk: SequenceTopK,
  lse: Float32Array,
  vocabSize: number,
  q: TopKQuantizer = DEFAULT_TOPK_QUANTIZER,
): Uint8Array {
  checkQuantizer(q);
  const { k, ids, logprobs } = topk;
  const rows = lse.length;
  const bitsPerId = idBits(vocabSize);
  if (k > vocabSize)
    throw new DistilleryError('INVALID_INPUT', `topK ${k} is larger than the vocabulary (${vocabSize} tokens)`);
  if (ids.length !== rows * k || logprobs.length !== rows * k || topk.tailMass.length !== rows)
    throw new DistilleryError('INVALID_INPUT', `top-k arrays do not hold ${rows} rows of k=${k}`);
  const h = Math.min(q.head, k);
  const m = k - h;
  const qh = 2 ** q.headStepLog2;
  const qt = 2 ** q.tailStepLog2;
  const w = new BitWriter(64 + rows * k * 2);
  const gaps = new Float64Array(Math.max(h, m));
  const keys = new Float64Array(m);
  const tails = new Float64Array(m);
  // which ids the current row's head holds: a repeated id would decode as a different row
  const inHead = new Uint8Array(vocabSize);
  for (let p = 0; p < rows; p++) {
    const base = p * k;
    if (p > 0) for (let i = 0; i < h; i++) inHead[ids[base - k + i]!] = 0;
    let prevQ = 0;
    for (let i = 0; i < h; i++) {
      const id = ids[base + i]!;
      if (!(id >= 0 && id < vocabSize)) badId(p, id, vocabSize);
      const lp = logprobs[base + i]!;
      if (Number.isNaN(lp)) throw new DistilleryError('INVALID_INPUT', `top-k row ${p} has a NaN log-prob`);
      const Q = Math.round(depth(lp) * qh);
      if (i > 0 && Q < prevQ) notSorted(p);
      gaps[i] = i === 0 ? Q : Q - prevQ;
      prevQ = Q;
    }
    for (let i = 0; i < h; i++) {
      const id = ids[base + i]!;
      if (inHead[id]) throw new DistilleryError('INVALID_INPUT', `top-k row ${p} lists token ${id} twice`);
      inHead[id] = 1;
      w.bits(id, bitsPerId);
    }
    if (h > 0) {
      w.expGolomb(gaps[0]!);
      const r = bestRiceParameter(gaps, 1, h, MAX_PARAM);
      w.bits(r, 5);
      for (let i = 1; i < h; i++) w.rice(gaps[i]!, r);
    }
    if (m === 0) continue;
    // tail: ids in ascending order (key = id * 2^22 + index; 2^22 > the index bound)
    const ref = prevQ / qh;
    let tmax = 0;
    for (let j = 0; j < m; j++) {
      const id = ids[base + h + j]!;
      if (!(id >= 0 && id < vocabSize)) badId(p, id, vocabSize);
      const lp = logprobs[base + h + j]!;
      if (Number.isNaN(lp)) throw new DistilleryError('INVALID_INPUT', `top-k row ${p} has a NaN log-prob`);
      const t = Math.max(0, Math.round((depth(lp) - ref) * qt));
      tails[j] = t;
      if (t > tmax) tmax = t;
      keys[j] = id * 4194304 + j;
    }
    keys.sort();
    let prevId = -1;
    for (let j = 0; j < m; j++) {
      const key = keys[j]!;
      const id = Math.floor(key / 4194304);
      if (id === prevId || inHead[id])
        throw new DistilleryError('INVALID_INPUT', `top-k row ${p} lists token ${id} twice`);
      gaps[j] = id - prevId - 1;
      prevId = id;
    }
    const ri = bestRiceParameter(gaps, 0, m, MAX_PARAM);
    w.bits(ri, 5);
    for (let j = 0; j < m; j++) w.rice(gaps[j]!, ri);
    // values in id order, as distances up from the deepest one (most tail entries sit near the bottom)
    for (let j = 0; j < m; j++) gaps[j] = tmax - tails[keys[j]! % 4194304]!;
    w.expGolomb(tmax);
    const rv = bestRiceParameter(gaps, 0, m, MAX_PARAM);
    w.bits(rv, 5);
    for (let j = 0; j < m; j++) w.rice(gaps[j]!, rv);
  }
  const stream = w.finish();
  const out = new Uint8Array(SEQUENCE_HEADER_BYTES + 6 * rows + stream.length);
  writeSequenceHeader(out, {
    kind: 'topk',
    params: [q.head, q.headStepLog2, q.tailStepLog2, 0],
    rows,
    a: k,
    b: vocabSize,
  });
  out.set(typedBytes(lse), SEQUENCE_HEADER_BYTES);
  out.set(typedBytes(encodeFloat16(topk.tailMass)), SEQUENCE_HEADER_BYTES + 4 * rows);
  out.set(stream, SEQUENCE_HEADER_BYTES + 6 * rows);
  return out;
}

function badId(row: number, id: number, vocabSize: number): never {
  throw new DistilleryError(
    'INVALID_INPUT',
    `top-k row ${row} has token id ${id} outside the vocabulary 0..${vocabSize - 1}`,
  );
}

function notSorted(row: number): never {
  throw new DistilleryError('INVALID_INPUT', `top-k row ${row} is not sorted by descending log-prob`);
}
