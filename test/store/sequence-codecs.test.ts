import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { isDistilleryError } from '../../src/core/errors.ts';
import {
  DEFAULT_TOPK_QUANTIZER,
  LOGPROB_FLOOR,
  encodeSequenceTopK,
  topKErrorBound,
} from '../../src/store/codecs/sequence-topk-codec.ts';
import { decodeSequenceTopK } from '../../src/store/codecs/sequence-topk-decode.ts';
import {
  decodeSequenceHidden,
  decodeSequenceSamples,
  decodeSequenceTarget,
  decodeTokenSequence,
  encodeSequenceHidden,
  encodeSequenceSamples,
  encodeSequenceTarget,
  encodeTokenSequence,
} from '../../src/store/codecs/sequence-codecs.ts';
import { BitReader, BitWriter } from '../../src/store/codecs/bit-stream.ts';
import { makeTargets } from '../helpers/sequence-targets.ts';

const QWEN_VOCAB = 151_936;
const SMOL_VOCAB = 49_152;
const invalid = (e: unknown): boolean => isDistilleryError(e) && e.code === 'INVALID_INPUT';

test('bit stream: fixed fields, Rice codes (with escapes) and exp-Golomb codes read back in order', () => {
  const rng = new SeededRng('bits');
  const ops: [string, number, number][] = [];
  for (let i = 0; i < 5000; i++) {
    const kind = rng.int(3);
    if (kind === 0) {
      const n = 1 + rng.int(24);
      ops.push(['bits', rng.int(2 ** n), n]);
    } else if (kind === 1) {
      const r = rng.int(12);
      // mostly small quotients, sometimes far past the escape
      const v = rng.next() < 0.05 ? rng.int(2 ** 31) : rng.int(2 ** (r + 3));
      ops.push(['rice', v, r]);
    } else ops.push(['eg', rng.next() < 0.05 ? rng.int(2 ** 30) : rng.int(300), 0]);
  }
  const w = new BitWriter(8);
  for (const [k, v, n] of ops) {
    if (k === 'bits') w.bits(v, n);
    else if (k === 'rice') w.rice(v, n);
    else w.expGolomb(v);
  }
  const r = new BitReader(w.finish());
  for (const [k, v, n] of ops) assert.equal(k === 'bits' ? r.bits(n) : k === 'rice' ? r.rice(n) : r.expGolomb(), v);
});

/** Per row, |decoded - exact| for each original entry, split into the head (rank < 16) and the rest. */
function topKErrors(
  k: number,
  ids: Int32Array,
  exact: Float32Array,
  dIds: Int32Array,
  dLp: Float32Array,
  rows: number,
) {
  let head = 0;
  let tail = 0;
  for (let p = 0; p < rows; p++) {
    const decoded = new Map<number, number>();
    for (let j = 0; j < k; j++) decoded.set(dIds[p * k + j]!, dLp[p * k + j]!);
    for (let j = 0; j < k; j++) {
      const got = decoded.get(ids[p * k + j]!);
      assert.ok(got !== undefined, `row ${p}: id ${ids[p * k + j]} lost`);
      const err = Math.abs(got - exact[p * k + j]!);
      if (j < DEFAULT_TOPK_QUANTIZER.head) head = Math.max(head, err);
      else tail = Math.max(tail, err);
    }
    for (let j = 1; j < k; j++) assert.ok(dLp[p * k + j]! <= dLp[p * k + j - 1]!, `row ${p} not sorted`);
  }
  return { head, tail };
}

for (const [vocab, k, budget] of [
  [QWEN_VOCAB, 128, 320],
  [QWEN_VOCAB, 64, 170],
  [SMOL_VOCAB, 128, 320],
  [300, 64, 170],
  [QWEN_VOCAB, 8, 40],
] as const) {
  test(`top-k codec, vocabulary ${vocab}, k=${k}: <= ${budget} bytes a position, error within the stated bound`, () => {
    const { targets } = makeTargets(`topk-${vocab}-${k}`, vocab, 48, 8, { temperature: 1, topK: k });
    const t = targets.topk!;
    const P = targets.positions.length;
    const blob = encodeSequenceTopK(t, targets.lse, vocab);
    const perPosition = blob.length / P;
    assert.ok(perPosition <= budget, `${perPosition.toFixed(1)} bytes a position`);
    const d = decodeSequenceTopK(blob);
    assert.equal(d.k, k);
    assert.equal(d.vocabSize, vocab);
    assert.deepEqual(d.lse, targets.lse);
    const { head, tail } = topKErrors(k, t.ids, t.logprobs, d.ids, d.logprobs, P);
    const bound = topKErrorBound(DEFAULT_TOPK_QUANTIZER);
    assert.ok(bound.head <= 0.02);
    assert.ok(head <= bound.head + 1e-6, `head error ${head}`);
    assert.ok(tail <= bound.tail + 1e-6, `tail error ${tail}`);
    // the head keeps its exact rank order
    const h = Math.min(k, DEFAULT_TOPK_QUANTIZER.head);
    for (let p = 0; p < P; p++)
      assert.deepEqual(d.ids.subarray(p * k, p * k + h), t.ids.subarray(p * k, p * k + h), `row ${p} head order`);
    for (let p = 0; p < P; p++) {
      const rel = Math.abs(d.tailMass[p]! - t.tailMass[p]!) / Math.max(t.tailMass[p]!, 6.1e-5);
      assert.ok(rel <= 2 ** -11 + 1e-9, `tail mass ${t.tailMass[p]} -> ${d.tailMass[p]}`);
    }
  });
}

test('top-k codec: a finer quantizer tightens the bound it states; -Infinity comes back as the floor', () => {
  const { targets } = makeTargets('fine', SMOL_VOCAB, 20, 4, { temperature: 1, topK: 32 });
  const t = targets.topk!;
  t.logprobs[t.logprobs.length - 1] = -Infinity; // the last entry of the last row
  const q = { head: 32, headStepLog2: 8, tailStepLog2: 8 };
  const d = decodeSequenceTopK(encodeSequenceTopK(t, targets.lse, SMOL_VOCAB, q));
  assert.deepEqual(d.quantizer, q);
  assert.equal(d.logprobs[d.logprobs.length - 1], LOGPROB_FLOOR);
  t.logprobs[t.logprobs.length - 1] = LOGPROB_FLOOR;
  const { head } = topKErrors(32, t.ids, t.logprobs, d.ids, d.logprobs, targets.positions.length);
  assert.ok(head <= topKErrorBound(q).head + 1e-6 && topKErrorBound(q).head === 2 ** -9, `error ${head}`);
});

test('top-k codec refuses rows that break the contract', () => {
  const { targets } = makeTargets('bad', 1000, 12, 2, { temperature: 1, topK: 20 });
  const t = targets.topk!;
  const tamper = (f: (ids: Int32Array, lp: Float32Array) => void): (() => Uint8Array) => {
    const ids = t.ids.slice();
    const logprobs = t.logprobs.slice();
    f(ids, logprobs);
    return () => encodeSequenceTopK({ ...t, ids, logprobs }, targets.lse, 1000);
  };
  assert.throws(
    tamper((ids) => (ids[3] = 1000)),
    invalid,
  );
  assert.throws(
    tamper((_, lp) => (lp[3] = lp[0]!)),
    invalid,
  ); // head out of order
  assert.throws(
    tamper((ids) => (ids[17] = ids[18]!)),
    invalid,
  ); // a tail id twice
  assert.throws(
    tamper((ids) => (ids[22] = ids[21]!)),
    invalid,
  ); // a head id twice (row 1)
  assert.throws(
    tamper((ids) => (ids[38] = ids[20]!)),
    invalid,
  ); // an id in the head and the tail (row 1)
  // every row is checked on its own: a row may hold an id another row holds
  assert.doesNotThrow(tamper((ids) => (ids[25] = ids[5]!)));
  assert.throws(
    tamper((_, lp) => (lp[5] = NaN)),
    invalid,
  );
  assert.throws(() => encodeSequenceTopK(t, targets.lse.subarray(1), 1000), invalid);
  assert.throws(
    () => encodeSequenceTopK(t, targets.lse, 19),
    (e: unknown) => invalid(e) && /topK 20 is larger than the vocabulary/.test((e as Error).message),
  );
});

test('samples codec: ~12 unique ids of 50 draws fit in 40 bytes a position; rows come back sorted by id', () => {
  // worst case for the id gaps: 12 ids spread uniformly over the whole vocabulary
  const rng = new SeededRng('samples');
  const P = 200;
  const offsets = new Int32Array(P + 1);
  const ids: number[] = [];
  const counts: number[] = [];
  for (let p = 0; p < P; p++) {
    const row = new Set<number>();
    while (row.size < 12) row.add(rng.int(QWEN_VOCAB));
    const c = new Array<number>(12).fill(1);
    for (let d = 12; d < 50; d++) c[d % 3 === 0 ? rng.int(12) : 0]! += 1; // one dominant token
    [...row].forEach((id, j) => {
      ids.push(id);
      counts.push(c[j]!);
    });
    offsets[p + 1] = ids.length;
  }
  const s = { draws: 50, offsets, ids: Int32Array.from(ids), counts: Uint16Array.from(counts) };
  const blob = encodeSequenceSamples(s, P, QWEN_VOCAB);
  assert.ok(blob.length / P <= 40, `${(blob.length / P).toFixed(1)} bytes a position`);
  const d = decodeSequenceSamples(blob);
  assert.deepEqual(d.offsets, offsets);
  assert.equal(d.draws, 50);
  for (let p = 0; p < P; p++) {
    const want = new Map<number, number>();
    for (let j = offsets[p]!; j < offsets[p + 1]!; j++) want.set(ids[j]!, counts[j]!);
    const got = [...d.ids.subarray(offsets[p], offsets[p + 1])];
    assert.deepEqual(
      got,
      [...want.keys()].sort((a, b) => a - b),
    );
    got.forEach((id, j) => assert.equal(d.counts[offsets[p]! + j], want.get(id)));
  }
  // drawn from real distributions: fewer unique ids, fewer bytes
  const { targets } = makeTargets('drawn', QWEN_VOCAB, 24, 4, { temperature: 1, samples: { draws: 50 } });
  const drawn = encodeSequenceSamples(targets.samples!, targets.positions.length, QWEN_VOCAB);
  assert.ok(drawn.length / targets.positions.length <= 40);
  assert.throws(
    () => encodeSequenceSamples({ ...s, counts: s.counts.map((c, i) => (i === 0 ? c + 1 : c)) }, P, QWEN_VOCAB),
    invalid,
  );
});

test('target, hidden and token sequence blobs round-trip exactly', () => {
  const { targets } = makeTargets('exact', SMOL_VOCAB, 40, 10, { temperature: 1, target: true, hidden: true }, 16);
  const P = targets.positions.length;
  assert.deepEqual(decodeSequenceTarget(encodeSequenceTarget(targets.target!, P)), targets.target);
  assert.deepEqual(decodeSequenceHidden(encodeSequenceHidden(targets.hidden!, P)), targets.hidden);
  const tok = { tokenIds: targets.tokenIds, scored: targets.scored, truncated: true };
  assert.deepEqual(decodeTokenSequence(encodeTokenSequence(tok)), tok);
  // masks that start scored, alternate, or score nothing
  for (const scored of [Uint8Array.from([1, 1, 0, 1, 0, 0]), Uint8Array.from([0, 0, 0, 0, 0, 0])]) {
    const s = { tokenIds: Int32Array.from([5, 0, 151_935, 7, 7, 1]), scored, truncated: false };
    assert.deepEqual(decodeTokenSequence(encodeTokenSequence(s)), s);
  }
});
