/**
 * StoredTopK: a top-k blob's rows decoded on first read, or into the caller's arrays at the places
 * it names (what the Parquet export does with its page bytes), with the same values either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDistilleryError } from '../../src/core/errors.ts';
import { encodeSequenceTopK } from '../../src/store/codecs/sequence-topk-codec.ts';
import { decodeSequenceTopK, StoredTopK } from '../../src/store/codecs/sequence-topk-decode.ts';
import { makeTargets } from '../helpers/sequence-targets.ts';

const VOCAB = 151_936;
const K = 24;

test('decodeInto places row p at at[p] and leaves the other rows alone; the getters decode the same rows', () => {
  const { targets } = makeTargets('stored-topk', VOCAB, 40, 6, { temperature: 1, topK: K });
  const blob = encodeSequenceTopK(targets.topk!, targets.lse, VOCAB);
  const want = decodeSequenceTopK(blob);
  const P = targets.positions.length;
  const S = targets.tokenIds.length;

  const stored = new StoredTopK(blob);
  assert.equal(stored.k, K);
  assert.equal(stored.rows, P);
  assert.deepEqual(stored.lse, want.lse);
  assert.deepEqual(stored.tailMass, want.tailMass);
  const ids = new Int32Array(S * K).fill(-7);
  const logprobs = new Float32Array(S * K).fill(7);
  stored.decodeInto(ids, logprobs, targets.positions);
  const rowOf = new Map([...targets.positions].map((pos, p) => [pos, p]));
  for (let i = 0; i < S; i++) {
    const p = rowOf.get(i);
    const gotIds = ids.subarray(i * K, (i + 1) * K);
    const gotLp = logprobs.subarray(i * K, (i + 1) * K);
    if (p === undefined) {
      assert.ok(gotIds.every((v) => v === -7) && gotLp.every((v) => v === 7), `row ${i} untouched`);
      continue;
    }
    assert.deepEqual(gotIds, want.ids.subarray(p * K, (p + 1) * K));
    assert.deepEqual(gotLp, want.logprobs.subarray(p * K, (p + 1) * K));
  }
  // once read through the getters, decodeInto copies the decoded rows: same result
  assert.deepEqual(stored.ids, want.ids);
  assert.deepEqual(stored.logprobs, want.logprobs);
  const again = new Int32Array(S * K).fill(-7);
  stored.decodeInto(again, new Float32Array(S * K), targets.positions);
  assert.deepEqual(again, ids);
});

test('decodeInto refuses arrays too short or a wrong number of places; a cut blob is an error', () => {
  const { targets } = makeTargets('stored-topk-bad', VOCAB, 20, 4, { temperature: 1, topK: K });
  const blob = encodeSequenceTopK(targets.topk!, targets.lse, VOCAB);
  const P = targets.positions.length;
  const stored = new StoredTopK(blob);
  const internal = (e: unknown): boolean => isDistilleryError(e) && e.code === 'INTERNAL';
  assert.throws(() => stored.decodeInto(new Int32Array(P * K - 1), new Float32Array(P * K)), internal);
  assert.throws(
    () => stored.decodeInto(new Int32Array(P * K), new Float32Array(P * K), new Int32Array(P - 1)),
    internal,
  );
  const cut = new StoredTopK(blob.subarray(0, blob.length - 40));
  assert.throws(
    () => cut.ids,
    (e: unknown) => internal(e) && /truncated/.test((e as Error).message),
  );
});
