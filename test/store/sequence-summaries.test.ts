/**
 * Report summaries read without decoding top-k rows: they must say what the fully decoded targets say
 * (tail mass, next-token target, lengths, truncated flag), for the stored k and for a smaller k that a
 * larger stored top-k serves, and nothing where a part is missing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { SequenceOutputSpec } from '../../src/core/sequence-types.ts';
import { openStore, SequenceOutputs } from '../../src/store/index.ts';
import { makeTargets } from '../helpers/sequence-targets.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SPEC: SequenceOutputSpec = { temperature: 1, topK: 32, target: true };
const VOCAB = 3000;

test('summaries match the decoded targets, for the stored k and a smaller one', () => {
  const store = openStore(path.join(tempDir('seq-summaries-'), 'store.db'));
  try {
    const made = [0, 1, 2, 3].map((i) => makeTargets(`s${i}`, VOCAB, 20 + 7 * i, 4 + i, SPEC).targets);
    made[2]!.truncated = true;
    store.sequences.put(
      'fp',
      VOCAB,
      made.map((targets) => ({ targets, spec: SPEC })),
    );
    const hashes = made.map((t) => SequenceOutputs.hash(t));
    const full = store.sequences.getMany('fp', hashes, SPEC);
    const sums = store.sequenceSummaries.getMany('fp', hashes, SPEC);
    sums.forEach((s, i) => {
      const t = full[i]!;
      assert.ok(s);
      assert.equal(s.length, t.tokenIds.length);
      assert.equal(s.positions, t.positions.length);
      assert.equal(s.truncated, i === 2);
      assert.deepEqual(s.tailMass, t.topk!.tailMass);
      assert.deepEqual(s.target, t.target);
    });

    const small: SequenceOutputSpec = { temperature: 1, topK: 8 };
    const fullSmall = store.sequences.getMany('fp', hashes, small);
    store.sequenceSummaries.getMany('fp', hashes, small).forEach((s, i) => {
      assert.deepEqual(s!.tailMass, fullSmall[i]!.topk!.tailMass);
      assert.ok(
        s!.tailMass!.every((m, p) => m > full[i]!.topk!.tailMass[p]!),
        'a smaller top-k leaves more in the tail',
      );
      assert.equal(s!.target, undefined);
    });

    assert.deepEqual(store.sequenceSummaries.getMany('fp', hashes.slice(0, 1), { ...SPEC, samples: { draws: 4 } }), [
      undefined,
    ]);
    assert.deepEqual(store.sequenceSummaries.getMany('fp', ['00'.repeat(32)], SPEC), [undefined]);
    assert.deepEqual(store.sequenceSummaries.getMany('other', hashes.slice(0, 1), SPEC), [undefined]);
    assert.deepEqual(store.sequenceSummaries.getMany('fp', hashes.slice(0, 1), { temperature: 2, topK: 8 }), [
      undefined,
    ]);
  } finally {
    store.close();
  }
});
