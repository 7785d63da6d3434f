/**
 * Report numbers on a hand-made dataset in a real SQLite store: every expected value below is worked
 * out from the logits written here, with the formulas spelled out in the test, not taken from the code.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Example, TeacherInfo } from '../../src/core/types.ts';
import { buildDatasetReport, buildDatasetReportYielding } from '../../src/report/dataset-report.ts';
import { exampleAttention } from '../../src/report/example-attention.ts';
import { histogram } from '../../src/report/histogram.ts';
import { ReportCache } from '../../src/report/report-cache.ts';
import { evaluateTeacher, evaluateTeacherYielding } from '../../src/report/teacher-evaluation.ts';
import { inputHash, openStore, type Store } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { eventLoopTurns } from '../helpers/event-loop-turns.ts';
import { labelledStore } from '../helpers/labelled-store.ts';

const INFO: TeacherInfo = {
  name: 'hand',
  fingerprint: 'f'.repeat(64),
  task: 'text-classification',
  labels: ['NEGATIVE', 'POSITIVE'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 128,
  hiddenLayers: 0,
  attentionLayers: 2,
};

const aug = (id: string, parentId: string, text: string, op: string, changed: number[]): Example => ({
  id,
  text,
  label: 1,
  origin: { kind: 'augmentation', parentId, ops: [op], params: {}, seed: '1', changed },
});

// z = [neg, pos]
const LOGITS: Record<string, [number, number]> = {
  o1: [0, 2], // POSITIVE, gold 1
  o2: [1, 0], // NEGATIVE, gold "POSITIVE": a miss
  a1: [0, 1], // synonym of o1, stays POSITIVE
  a2: [2, 0], // synonym of o1, flips to NEGATIVE
  a3: [1, 0.5], // swap of o2, stays NEGATIVE
};
const softmax = ([a, b]: [number, number]) => [
  Math.exp(a) / (Math.exp(a) + Math.exp(b)),
  Math.exp(b) / (Math.exp(a) + Math.exp(b)),
];
const kl = (p: number[], q: number[]) => p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);

describe('dataset report', () => {
  let store: Store;
  const examples: Example[] = [
    { id: 'o1', text: 'a fine film', label: 1, origin: { kind: 'original' } },
    aug('a1', 'o1', 'a good film', 'synonym', [1]),
    aug('a2', 'o1', 'a poor film', 'synonym', [1]),
    { id: 'o2', text: 'dull and slow', label: 'POSITIVE', origin: { kind: 'original' } },
    aug('a3', 'o2', 'slow and dull', 'swap', [0, 2]),
  ];

  before(() => {
    store = openStore(path.join(tempDir('distillery-report-'), 'r.db'));
    store.createDataset({
      id: 'hand',
      manifest: {
        augmentStats: { byOp: { synonym: { produced: 3, duplicates: 1 }, swap: { produced: 1, duplicates: 0 } } },
      },
    });
    store.addExamples('hand', examples);
    store.registerTeacher(INFO);
    const spec = { logits: true, temperatures: [1], attentions: { layers: 'all' as const }, encoding: 'fp32' as const };
    store.linkTeacher('hand', INFO.fingerprint, spec);
    store.putOutputs(
      INFO.fingerprint,
      examples.map((e) => ({
        inputHash: inputHash(e),
        output: {
          logits: Float32Array.from(LOGITS[e.id]!),
          // 2 layers x [1 head, 3 tokens, 3 tokens]; layer l puts weight on key l
          attentions: [0, 1].map((l) => ({
            layer: l,
            value: { shape: [1, 3, 3], data: Float32Array.from({ length: 9 }, (_, k) => (k % 3 === l ? 1 : 0)) },
          })),
          tokens: 3,
          truncated: false,
        },
      })),
      { encoding: 'fp32' },
    );
  });
  after(() => store.close());

  test('totals, label distribution, per-op flips, KL and duplicate shares', () => {
    const r = buildDatasetReport(store, 'hand');
    assert.deepEqual(r.totals, { examples: 5, originals: 2, augmentations: 3, labelled: 5 });
    assert.equal(r.teacher?.name, 'hand');
    assert.deepEqual(r.teachers, [{ name: 'hand', fingerprint: INFO.fingerprint }]);
    assert.deepEqual(r.labels, [
      { label: 'NEGATIVE', gold: 0, teacherOriginals: 1, teacherAll: 3 },
      { label: 'POSITIVE', gold: 2, teacherOriginals: 1, teacherAll: 2 },
    ]);
    const syn = r.ops.find((o) => o.op === 'synonym')!;
    assert.equal(syn.count, 2);
    assert.equal(syn.flippedShare, 0.5);
    const p1 = softmax(LOGITS.o1!);
    const wantSyn = (kl(p1, softmax(LOGITS.a1!)) + kl(p1, softmax(LOGITS.a2!))) / 2;
    assert.ok(Math.abs(syn.meanKl - wantSyn) < 1e-6, `${syn.meanKl} vs ${wantSyn}`);
    assert.equal(syn.duplicateShare, 1 / 4);
    const swap = r.ops.find((o) => o.op === 'swap')!;
    assert.deepEqual([swap.count, swap.flippedShare, swap.duplicateShare], [1, 0, 0]);
    assert.ok(Math.abs(swap.meanKl - kl(softmax(LOGITS.o2!), softmax(LOGITS.a3!))) < 1e-6);
  });

  test('duplicate shares from the counts the runner stored (produced before dedupe), preferred over a manifest', () => {
    store.createDataset({
      id: 'counted',
      manifest: { augmentStats: { byOp: { synonym: { produced: 1, duplicates: 1 } } } },
    });
    // two batches, as two job chunks: counts add up; synonym made 3 + 2, dropped 1 + 2; swap made 4, dropped 0
    store.addExamples('counted', examples.slice(0, 3), { opStats: [{ op: 'synonym', produced: 3, duplicates: 1 }] });
    store.addExamples('counted', examples.slice(3), {
      opStats: [
        { op: 'synonym', produced: 2, duplicates: 2 },
        { op: 'swap', produced: 4, duplicates: 0 },
      ],
    });
    // a replayed batch (every row already there) must not count twice
    store.addExamples('counted', examples.slice(3), { opStats: [{ op: 'swap', produced: 4, duplicates: 4 }] });
    assert.deepEqual(store.opStats('counted'), [
      { op: 'swap', produced: 4, duplicates: 0 },
      { op: 'synonym', produced: 5, duplicates: 3 },
    ]);
    const r = buildDatasetReport(store, 'counted');
    const byOp = new Map(r.ops.map((o) => [o.op, o]));
    assert.equal(byOp.get('synonym')!.duplicateShare, 3 / 5);
    assert.equal(byOp.get('swap')!.duplicateShare, 0);
    assert.throws(
      () => store.addExamples('counted', [], { opStats: [{ op: 'swap', produced: 1, duplicates: 2 }] }),
      /op stat/,
    );
    // no stored counts and no manifest counts: n/a (null), never a made-up 0
    store.createDataset({ id: 'uncounted' });
    store.addExamples('uncounted', examples);
    assert.ok(buildDatasetReport(store, 'uncounted').ops.every((o) => o.duplicateShare === null));
    store.deleteDataset('counted');
    store.deleteDataset('uncounted');
  });

  test('histograms: confidence and entropy at T = 1..5 count every labelled example', () => {
    const r = buildDatasetReport(store, 'hand');
    const conf = Object.values(LOGITS).map((z) => Math.max(...softmax(z)));
    assert.deepEqual(r.confidence, histogram(conf, 10, 0.5, 1));
    assert.deepEqual(
      r.entropy.map((e) => e.temperature),
      [1, 2, 3, 4, 5],
    );
    for (const e of r.entropy)
      assert.equal(
        e.histogram.counts.reduce((a, b) => a + b, 0),
        5,
      );
    // a higher temperature moves mass to the high-entropy end
    const mean = (h: { edges: number[]; counts: number[] }) =>
      h.counts.reduce((s, c, i) => s + (c * (h.edges[i]! + h.edges[i + 1]!)) / 2, 0) / 5;
    assert.ok(mean(r.entropy[4]!.histogram) > mean(r.entropy[0]!.histogram));
    assert.equal(r.logits.length, 5);
    assert.deepEqual(r.logits[0], [0, 2]);
  });

  test('examples table: originals with their augmentations, tokens and changed positions', () => {
    const r = buildDatasetReport(store, 'hand', { exampleGroups: 1, exampleOffset: 1 });
    assert.equal(r.examples.length, 1);
    const g = r.examples[0]!;
    assert.equal(g.original.id, 'o2');
    assert.deepEqual(
      g.augmentations.map((a) => a.id),
      ['a3'],
    );
    assert.deepEqual(
      g.augmentations[0]!.tokens.map((t) => t.text),
      ['slow', 'and', 'dull'],
    );
    assert.deepEqual(g.augmentations[0]!.changed, [0, 2]);
    assert.equal(g.original.predicted, 'NEGATIVE');
    assert.ok(Math.abs(g.original.probs![0]! - softmax(LOGITS.o2!)[0]!) < 1e-4);
    assert.deepEqual(r.attentionLayers, [0, 1]);
  });

  test('attention of one example; teacher evaluation on the originals', () => {
    const a = exampleAttention(store, 'hand', 'a1');
    assert.equal(a.tokens, 3);
    assert.deepEqual(
      a.layers.map((l) => [l.layer, l.heads]),
      [
        [0, 1],
        [1, 1],
      ],
    );
    assert.deepEqual(a.layers[1]!.data, [0, 1, 0, 0, 1, 0, 0, 1, 0]);
    assert.throws(() => exampleAttention(store, 'hand', 'nope'), /no example "nope"/);

    const ev = evaluateTeacher(store, 'hand');
    assert.equal(ev.examples, 2);
    assert.equal(ev.accuracy, 0.5); // o1 right, o2 wrong (gold given by name)
    assert.equal(ev.sweep.length, 5);
    const nll = (-Math.log(softmax(LOGITS.o1!)[1]!) - Math.log(softmax(LOGITS.o2!)[1]!)) / 2;
    assert.ok(Math.abs(ev.sweep[0]!.meanKlToGold - nll) < 1e-6);
  });

  test('an unknown dataset or teacher is a NOT_FOUND with a hint', () => {
    assert.throws(
      () => buildDatasetReport(store, 'nope'),
      (e: Error & { code?: string }) => e.code === 'NOT_FOUND',
    );
    assert.throws(() => buildDatasetReport(store, 'hand', { teacher: 'other' }), /has no teacher "other"/);
  });

  test('report cache: finished datasets are remembered until their teachers change; others are recomputed', async () => {
    const cache = new ReportCache(store);
    const running = await cache.get('hand');
    assert.notEqual(await cache.get('hand'), running, 'no "done" in the manifest: recomputed');
    store.setDatasetManifest('hand', {
      status: 'done',
      augmentStats: { byOp: { synonym: { produced: 3, duplicates: 1 }, swap: { produced: 1, duplicates: 0 } } },
    });
    const done = await cache.get('hand');
    assert.equal(await cache.get('hand'), done);
    assert.notEqual(await cache.get('hand', { exampleOffset: 1 }), done, 'another window is another entry');
    assert.deepEqual((await cache.get('hand', { exampleOffset: 1 })).totals, done.totals);
    store.registerTeacher({ ...INFO, name: 'second', fingerprint: 'e'.repeat(64) });
    store.linkTeacher('hand', 'e'.repeat(64), { logits: true, temperatures: [1], encoding: 'fp32' });
    const after = await cache.get('hand');
    assert.notEqual(after, done);
    assert.equal(after.teachers.length, 2);
  });
});

test('the yielding report lets the event loop run between pages and equals the one-pass report', async () => {
  const big = labelledStore(tempDir('report-yield-'), 'big', 3000);
  try {
    const { result: yielding, turns } = await eventLoopTurns(() => buildDatasetReportYielding(big, 'big'));
    assert.ok(turns >= 5, `event loop turns during the report: ${turns}`);
    assert.equal(yielding.totals.examples, 3000);
    assert.deepEqual(yielding, buildDatasetReport(big, 'big'));
    const ev = await eventLoopTurns(() => evaluateTeacherYielding(big, 'big'));
    assert.ok(ev.turns >= 5, `event loop turns during the evaluation: ${ev.turns}`);
    assert.equal(ev.result.examples, 2400, 'the originals (every fifth row is an augmentation)');
    assert.deepEqual(ev.result, evaluateTeacher(big, 'big'));
  } finally {
    big.close();
  }
});
