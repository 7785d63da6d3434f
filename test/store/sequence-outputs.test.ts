import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isDistilleryError } from '../../src/core/errors.ts';
import type { SequenceOutputSpec } from '../../src/core/sequence-types.ts';
import { openStore, SequenceOutputs } from '../../src/store/index.ts';
import { loadMigrations } from '../../src/store/migrations/index.ts';
import { topKErrorBound, DEFAULT_TOPK_QUANTIZER } from '../../src/store/codecs/sequence-topk-codec.ts';
import { makeTargets } from '../helpers/sequence-targets.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('sequence-outputs-');
const VOCAB = 49_152;
const TEACHER = 'sha256:causal-teacher';
const FULL: SequenceOutputSpec = { temperature: 1, topK: 32, samples: { draws: 50 }, target: true, hidden: true };
const made = [0, 1, 2].map((i) => makeTargets(`seq-${i}`, VOCAB, 30 + 7 * i, 5 + i, FULL, 4).targets);

test('put stores each sequence and component once; get returns them; stats report bytes per position', () => {
  const path = join(dir, 'a.db');
  const store = openStore(path);
  assert.equal(store.schemaVersion, loadMigrations().length);
  const topOnly: SequenceOutputSpec = { temperature: 1, topK: 32 };
  const first = store.sequences.put(
    TEACHER,
    VOCAB,
    made.map((targets) => ({ targets, spec: topOnly })),
  );
  assert.equal(first.sequences, 3);
  assert.equal(first.outputs, 3);
  const hashes = made.map((t) => SequenceOutputs.hash(t));
  // what is missing for the full spec is exactly the parts not yet stored
  const missing = store.sequences.missing(TEACHER, hashes, FULL);
  assert.deepEqual(
    [...missing.values()],
    hashes.map(() => ['samples:50@T1', 'target@T1', 'hidden']),
  );
  assert.equal(store.sequences.missing('sha256:other', hashes, topOnly).size, 3);
  const second = store.sequences.put(
    TEACHER,
    VOCAB,
    made.map((targets) => ({ targets, spec: FULL })),
  );
  assert.deepEqual([second.sequences, second.outputs], [0, 9]);
  assert.equal(store.sequences.missing(TEACHER, hashes, FULL).size, 0);
  // a third put changes nothing
  assert.equal(store.sequences.put(TEACHER, VOCAB, [{ targets: made[0]!, spec: FULL }]).outputs, 0);

  const stats = store.sequences.stats(TEACHER);
  const positions = made.reduce((n, t) => n + t.positions.length, 0);
  assert.deepEqual(
    stats.map((s) => [s.component, s.sequences, s.positions]),
    [
      ['hidden', 3, positions],
      ['samples:50@T1', 3, positions],
      ['target@T1', 3, positions],
      ['topk:32@T1', 3, positions],
    ],
  );
  const raw = new Database(path, { readonly: true });
  const bytes = raw
    .prepare("SELECT sum(length(data)) AS b FROM sequence_outputs WHERE component = 'topk:32@T1'")
    .get() as { b: number };
  raw.close();
  const topStat = stats.find((s) => s.component === 'topk:32@T1')!;
  assert.equal(topStat.bytes, bytes.b);
  assert.equal(topStat.bytesPerPosition, bytes.b / positions);
  store.close();

  // reopened: everything read back, top-k within the quantizer's bound, the rest exact
  const again = openStore(path);
  const got = again.sequences.getMany(TEACHER, hashes, FULL);
  const bound = topKErrorBound(DEFAULT_TOPK_QUANTIZER).tail;
  got.forEach((g, i) => {
    const want = made[i]!;
    assert.ok(g);
    assert.deepEqual(g.tokenIds, want.tokenIds);
    assert.deepEqual(g.scored, want.scored);
    assert.deepEqual(g.positions, want.positions);
    assert.deepEqual(g.lse, want.lse);
    assert.deepEqual(g.target, want.target);
    assert.deepEqual(g.hidden, want.hidden);
    assert.equal(g.samples!.ids.length, want.samples!.ids.length);
    assert.deepEqual(g.topk!.ids.subarray(0, 16), want.topk!.ids.subarray(0, 16));
    g.topk!.logprobs.forEach((v, j) => {
      const id = g.topk!.ids[j]!;
      const row = Math.floor(j / 32);
      const orig = want.topk!.ids.subarray(row * 32, row * 32 + 32).indexOf(id);
      assert.ok(Math.abs(v - want.topk!.logprobs[row * 32 + orig]!) <= bound + 1e-6);
    });
  });
  // only top-k asked: lse from the top-k blob; without it lse is NaN
  const samplesOnly = again.sequences.get(TEACHER, hashes[0]!, { temperature: 1, samples: { draws: 50 } })!;
  assert.ok(samplesOnly.lse.every(Number.isNaN) && samplesOnly.topk === undefined);
  assert.equal(again.sequences.get(TEACHER, hashes[0]!, { temperature: 2, topK: 32 }), undefined);
  assert.equal(again.sequences.get(TEACHER, '00'.repeat(32), FULL), undefined);
  again.close();
});

test('a put with one bad sequence stores nothing; the scored mask must match the rows', () => {
  const store = openStore(join(dir, 'b.db'));
  const bad = { ...made[1]!, positions: made[1]!.positions.map((p) => p + 1) };
  assert.throws(
    () =>
      store.sequences.put(TEACHER, VOCAB, [
        { targets: made[0]!, spec: FULL },
        { targets: bad, spec: FULL },
      ]),
    (e: unknown) => isDistilleryError(e) && e.code === 'INVALID_INPUT' && /scored mask/.test(e.message),
  );
  // a spec part the targets lack
  assert.throws(
    () => store.sequences.put(TEACHER, VOCAB, [{ targets: made[0]!, spec: { temperature: 1, topK: 64 } }]),
    /no topk:64@T1 output/,
  );
  for (const spec of [
    { temperature: 1, topK: 0 },
    { temperature: 1, topK: 2.5 },
    { temperature: 1, samples: { draws: 70_000 } },
    { temperature: 0 },
  ])
    assert.throws(
      () => store.sequences.put(TEACHER, VOCAB, [{ targets: made[0]!, spec }]),
      (e: unknown) => isDistilleryError(e) && e.code === 'INVALID_INPUT',
    );
  assert.deepEqual(store.sequences.stats(), []);
  assert.equal(store.sequences.missing(TEACHER, [SequenceOutputs.hash(made[0]!)], FULL).size, 1);
  store.close();
});

test('a stored top-k:K serves any k <= K: first k entries, dropped mass moved to the tail', () => {
  const store = openStore(join(dir, 'c.db'));
  const t = made[2]!;
  const hash = SequenceOutputs.hash(t);
  store.sequences.put(TEACHER, VOCAB, [{ targets: t, spec: { temperature: 1, topK: 32 } }]);
  const small: SequenceOutputSpec = { temperature: 1, topK: 8 };
  assert.equal(store.sequences.missing(TEACHER, [hash], small).size, 0);
  assert.deepEqual(store.sequences.missing(TEACHER, [hash], { temperature: 1, topK: 64 }).get(hash), ['topk:64@T1']);
  assert.deepEqual(store.sequences.missing(TEACHER, [hash], { temperature: 2, topK: 8 }).get(hash), ['topk:8@T2']);
  const full = store.sequences.get(TEACHER, hash, { temperature: 1, topK: 32 })!;
  const cut = store.sequences.get(TEACHER, hash, small)!;
  assert.equal(cut.topk!.k, 8);
  const P = t.positions.length;
  for (let p = 0; p < P; p++) {
    assert.deepEqual(cut.topk!.ids.subarray(p * 8, p * 8 + 8), full.topk!.ids.subarray(p * 32, p * 32 + 8));
    // the exact mass outside the original top 8
    let exact = t.topk!.tailMass[p]!;
    for (let j = 8; j < 32; j++) exact += Math.exp(t.topk!.logprobs[p * 32 + j]!);
    const rel = Math.abs(cut.topk!.tailMass[p]! - exact) / exact;
    assert.ok(rel <= Math.exp(1 / 16) - 1 + 1e-3, `row ${p}: tail ${cut.topk!.tailMass[p]} vs ${exact}`);
  }
  store.close();
});

test('prune: token sequences no dataset row points at go with their outputs past the grace period; a fresh output keeps its sequence', () => {
  let clock = new Date('2026-03-01T00:00:00Z');
  const store = openStore(join(dir, 'prune.db'), { now: () => clock });
  const topOnly: SequenceOutputSpec = { temperature: 1, topK: 32 };
  const targets = [0, 1, 2, 3].map((i) => makeTargets(`prune-${i}`, VOCAB, 20 + i, 4, FULL, 4).targets);
  store.sequences.put(
    TEACHER,
    VOCAB,
    targets.map((t) => ({ targets: t, spec: topOnly })),
  );
  const hashes = targets.map((t) => SequenceOutputs.hash(t));
  // rows 0 and 1 belong to a dataset (with a refused row beside them); 2 and 3 were only asked over HTTP
  store.createDataset({ id: 'lm', spec: { kind: 'causal-lm' } });
  store.datasetSequences.add('lm', [
    { id: 'a', hash: hashes[0]! },
    { id: 'b', hash: hashes[1]! },
    { id: 'c', field: 'prompt', message: 'empty' },
  ]);
  assert.deepEqual(store.pruneOutputs(), { outputs: 0, bytes: 0, sequences: 0 }, 'fresh: spared');

  clock = new Date('2026-03-01T02:00:00Z');
  // sequence 3 gets a new component just now: a job may be about to point at it
  store.sequences.put(TEACHER, VOCAB, [{ targets: targets[3]!, spec: { temperature: 1, target: true } }]);
  const dry = store.pruneOutputs({ dryRun: true });
  assert.equal(dry.sequences, 1);
  assert.equal(dry.outputs, 1);
  assert.ok(dry.bytes > 0);
  assert.deepEqual(store.pruneOutputs(), dry);
  assert.equal(store.sequences.missing(TEACHER, [hashes[2]!], topOnly).size, 1, 'sequence 2 is gone');
  for (const h of [hashes[0]!, hashes[1]!, hashes[3]!])
    assert.equal(store.sequences.missing(TEACHER, [h], topOnly).size, 0, 'kept: referenced, or written recently');

  // once the dataset is removed and the grace period passes, the rest goes too
  assert.equal(store.deleteDataset('lm'), true);
  clock = new Date('2026-03-01T05:00:00Z');
  assert.deepEqual((({ sequences, outputs }) => ({ sequences, outputs }))(store.pruneOutputs()), {
    sequences: 3,
    outputs: 4,
  });
  assert.equal(store.integrityCheck(), 'ok');
  store.close();
});
