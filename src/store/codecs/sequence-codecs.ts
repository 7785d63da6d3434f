/**
 * The other per-sequence blobs (top-k has its own file): importance samples, the actual next
 * token's log-prob/rank with the entropy, fp16 hidden states, and the token sequence itself.
 *
 * - samples (params [], a = draws, b = vocabulary size): per row, the number of unique ids
 *   (exp-Golomb), the ids sorted ascending as Rice-coded gaps, and count-1 Rice-coded; about 28
 *   bytes for 12 unique ids out of 151,936. Decoded rows list their ids in ascending order.
 * - target (a = 0, b = 0): f32 logprob[P] | f32 entropy[P] | ranks exp-Golomb coded.
 * - hidden (a = size): u16 fp16 bits[P * size].
 * - tokens (params [bits per id, truncated], rows = S): the ids at the smallest width that holds
 *   the largest, then the scored mask as exp-Golomb run lengths (runs alternate, starting unscored).
 */
import { DistilleryError } from '../../core/errors.ts';
import type { SequenceTargets } from '../../core/sequence-types.ts';
import { BitReader, BitWriter, bestRiceParameter } from './bit-stream.ts';
import {
  SEQUENCE_HEADER_BYTES,
  idBits,
  readFloat32s,
  readSequenceHeader,
  readUint16s,
  typedBytes,
  writeSequenceHeader,
} from './sequence-blob.ts';

type Samples = NonNullable<SequenceTargets['samples']>;
type Target = NonNullable<SequenceTargets['target']>;
type Hidden = NonNullable<SequenceTargets['hidden']>;

const withHeader = (
  stream: Uint8Array,
  h: Parameters<typeof writeSequenceHeader>[1],
  prefix: readonly Uint8Array[] = [],
): Uint8Array => {
  const pre = prefix.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(SEQUENCE_HEADER_BYTES + pre + stream.length);
  writeSequenceHeader(out, h);
  let o = SEQUENCE_HEADER_BYTES;
  for (const b of prefix) {
    out.set(b, o);
    o += b.length;
  }
  out.set(stream, o);
  return out;
};

export function encodeSequenceSamples(s: Samples, rows: number, vocabSize: number): Uint8Array {
  if (s.offsets.length !== rows + 1 || s.offsets[rows] !== s.ids.length || s.counts.length !== s.ids.length)
    throw new DistilleryError('INVALID_INPUT', `samples CSR arrays do not describe ${rows} rows`);
  idBits(vocabSize);
  const w = new BitWriter(64 + rows * 32);
  let keys = new Float64Array(64);
  let gaps = new Float64Array(64);
  for (let p = 0; p < rows; p++) {
    const from = s.offsets[p]!;
    const n = s.offsets[p + 1]! - from;
    if (n < 0) throw new DistilleryError('INVALID_INPUT', `samples offsets decrease at row ${p}`);
    w.expGolomb(n);
    if (n === 0) continue;
    if (keys.length < n) {
      keys = new Float64Array(2 * n);
      gaps = new Float64Array(2 * n);
    }
    let draws = 0;
    for (let j = 0; j < n; j++) {
      const id = s.ids[from + j]!;
      const c = s.counts[from + j]!;
      if (!(id >= 0 && id < vocabSize))
        throw new DistilleryError('INVALID_INPUT', `samples row ${p} has token id ${id} outside the vocabulary`);
      if (c < 1) throw new DistilleryError('INVALID_INPUT', `samples row ${p} has a count of ${c}`);
      draws += c;
      keys[j] = id * 65536 + c; // counts are uint16
    }
    if (draws !== s.draws)
      throw new DistilleryError('INVALID_INPUT', `samples row ${p} counts ${draws} draws, expected ${s.draws}`);
    const row = keys.subarray(0, n).sort();
    let prev = -1;
    for (let j = 0; j < n; j++) {
      const id = Math.floor(row[j]! / 65536);
      if (id === prev) throw new DistilleryError('INVALID_INPUT', `samples row ${p} lists token ${id} twice`);
      gaps[j] = id - prev - 1;
      prev = id;
    }
    const ri = bestRiceParameter(gaps, 0, n, 24);
    w.bits(ri, 5);
    for (let j = 0; j < n; j++) w.rice(gaps[j]!, ri);
    for (let j = 0; j < n; j++) gaps[j] = (row[j]! % 65536) - 1;
    const rc = bestRiceParameter(gaps, 0, n, 15);
    w.bits(rc, 4);
    for (let j = 0; j < n; j++) w.rice(gaps[j]!, rc);
  }
  return withHeader(w.finish(), { kind: 'samples', params: [0, 0, 0, 0], rows, a: s.draws, b: vocabSize });
}

export function decodeSequenceSamples(blob: Uint8Array): Samples & { vocabSize: number } {
  const h = readSequenceHeader(blob, 'samples');
  const r = new BitReader(blob, SEQUENCE_HEADER_BYTES);
  const offsets = new Int32Array(h.rows + 1);
  const ids: number[] = [];
  const counts: number[] = [];
  for (let p = 0; p < h.rows; p++) {
    const n = r.expGolomb();
    if (n > 0) {
      const ri = r.bits(5);
      let id = -1;
      for (let j = 0; j < n; j++) {
        id += r.rice(ri) + 1;
        ids.push(id);
      }
      const rc = r.bits(4);
      for (let j = 0; j < n; j++) counts.push(r.rice(rc) + 1);
    }
    offsets[p + 1] = ids.length;
  }
  return {
    draws: h.a,
    offsets,
    ids: Int32Array.from(ids),
    counts: Uint16Array.from(counts),
    vocabSize: h.b,
  };
}

export function encodeSequenceTarget(t: Target, rows: number): Uint8Array {
  if (t.logprob.length !== rows || t.rank.length !== rows || t.entropy.length !== rows)
    throw new DistilleryError('INVALID_INPUT', `target arrays do not hold ${rows} rows`);
  const w = new BitWriter(64 + rows);
  for (let p = 0; p < rows; p++) {
    const rank = t.rank[p]!;
    if (!(rank >= 0)) throw new DistilleryError('INVALID_INPUT', `target rank ${rank} at row ${p} is negative`);
    w.expGolomb(rank);
  }
  return withHeader(w.finish(), { kind: 'target', params: [0, 0, 0, 0], rows, a: 0, b: 0 }, [
    typedBytes(t.logprob),
    typedBytes(t.entropy),
  ]);
}

export function decodeSequenceTarget(blob: Uint8Array): Target {
  const { rows } = readSequenceHeader(blob, 'target');
  const logprob = readFloat32s(blob, SEQUENCE_HEADER_BYTES, rows);
  const entropy = readFloat32s(blob, SEQUENCE_HEADER_BYTES + 4 * rows, rows);
  const r = new BitReader(blob, SEQUENCE_HEADER_BYTES + 8 * rows);
  const rank = new Int32Array(rows);
  for (let p = 0; p < rows; p++) rank[p] = r.expGolomb();
  return { logprob, rank, entropy };
}

export function encodeSequenceHidden(hd: Hidden, rows: number): Uint8Array {
  if (hd.data.length !== rows * hd.size)
    throw new DistilleryError('INVALID_INPUT', `hidden states do not hold ${rows} rows of ${hd.size}`);
  return withHeader(typedBytes(hd.data), { kind: 'hidden', params: [0, 0, 0, 0], rows, a: hd.size, b: 0 });
}

export function decodeSequenceHidden(blob: Uint8Array): Hidden {
  const h = readSequenceHeader(blob, 'hidden');
  return { size: h.a, data: readUint16s(blob, SEQUENCE_HEADER_BYTES, h.rows * h.a) };
}

export interface TokenSequence {
  tokenIds: Int32Array;
  scored: Uint8Array;
  truncated: boolean;
}

export function encodeTokenSequence(s: TokenSequence): Uint8Array {
  const n = s.tokenIds.length;
  if (s.scored.length !== n)
    throw new DistilleryError('INVALID_INPUT', `scored mask has ${s.scored.length} entries for ${n} tokens`);
  let max = 0;
  for (const id of s.tokenIds) {
    if (!(id >= 0)) throw new DistilleryError('INVALID_INPUT', `token id ${id} is negative`);
    if (id > max) max = id;
  }
  const bits = idBits(max + 1);
  const w = new BitWriter(16 + Math.ceil((n * bits) / 8));
  for (const id of s.tokenIds) w.bits(id, bits);
  let cur = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const v = s.scored[i] ? 1 : 0;
    if (v !== cur) {
      w.expGolomb(run);
      cur = v;
      run = 0;
    }
    run++;
  }
  w.expGolomb(run);
  return withHeader(w.finish(), { kind: 'tokens', params: [bits, s.truncated ? 1 : 0, 0, 0], rows: n, a: 0, b: 0 });
}

export function decodeTokenSequence(blob: Uint8Array): TokenSequence {
  const h = readSequenceHeader(blob, 'tokens');
  const [bits, truncated] = h.params;
  const r = new BitReader(blob, SEQUENCE_HEADER_BYTES);
  const tokenIds = new Int32Array(h.rows);
  for (let i = 0; i < h.rows; i++) tokenIds[i] = r.bits(bits);
  const scored = new Uint8Array(h.rows);
  let cur = 0;
  for (let i = 0; i < h.rows;) {
    const run = r.expGolomb();
    if (cur === 1) scored.fill(1, i, i + run);
    i += run;
    cur ^= 1;
  }
  return { tokenIds, scored, truncated: truncated === 1 };
}
