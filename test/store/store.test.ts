import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeFloat16, inputHash, openStore, type OutputEntry } from '../../src/store/index.ts';
import type { Example, OutputSpec, TeacherInfo, TeacherOutput } from '../../src/core/types.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { loadMigrations } from '../../src/store/migrations/index.ts';

const LATEST = loadMigrations().length;

const dir = tempDir('store-test-');
const fixedNow = () => new Date('2026-01-02T03:04:05.000Z');

const info: TeacherInfo = {
  name: 'demo',
  fingerprint: 'fp-demo',
  task: 'text-classification',
  labels: ['NEGATIVE', 'POSITIVE'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 128,
  hiddenLayers: 3,
  attentionLayers: 2,
};

const ex = (id: string, text: string, extra: Partial<Example> = {}): Example => ({
  id,
  text,
  origin: { kind: 'original' },
  ...extra,
});

function output(seed: number, opts: { hidden?: boolean } = {}): TeacherOutput {
  const out: TeacherOutput = {
    logits: Float32Array.from([seed / 10, -seed / 10]),
    tokens: 4 + seed,
    truncated: seed % 2 === 1,
  };
  if (opts.hidden)
    out.hidden = [{ layer: 2, pooling: 'cls', value: { data: new Float32Array(8).fill(seed), shape: [8] } }];
  return out;
}

test('open: WAL, foreign keys, migrations recorded in user_version; close twice is safe', () => {
  const path = join(dir, 'open.db');
  const store = openStore(path);
  assert.equal(store.schemaVersion, LATEST);
  store.close();
  store.close();
  assert.throws(() => store.listDatasets(), /closed/);
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(
    raw.pragma('page_size', { simple: true }),
    16384,
    'new files get pages that hold several hidden-state rows',
  );
  assert.equal(raw.pragma('user_version', { simple: true }), LATEST);
  raw.close();
  const again = openStore(path); // re-open applies nothing new
  assert.equal(again.schemaVersion, LATEST);
  again.close();
});

test('datasets: create, validate id, list, get, delete cascades examples', () => {
  const store = openStore(join(dir, 'datasets.db'), { now: fixedNow });
  const d = store.createDataset({ id: 'sst2-aug', name: 'SST-2 augmented', spec: { recipe: 'eda' } });
  assert.equal(d.created, '2026-01-02T03:04:05.000Z');
  assert.throws(() => store.createDataset({ id: 'sst2-aug' }), /already exists/);
  for (const bad of ['', 'Upper', '-dash', 'a'.repeat(65), 'sp ace', '../x']) {
    assert.throws(
      () => store.createDataset({ id: bad }),
      (e: Error & { code?: string }) => e.code === 'INVALID_INPUT',
      bad,
    );
  }
  store.createDataset({ id: 'b.2_x-y' });
  assert.deepEqual(
    store.listDatasets().map((x) => x.id),
    ['b.2_x-y', 'sst2-aug'],
  );
  assert.deepEqual(store.getDataset('sst2-aug')?.spec, { recipe: 'eda' });
  store.addExamples('sst2-aug', [ex('a', 'one')]);
  assert.equal(store.deleteDataset('sst2-aug'), true);
  assert.equal(store.deleteDataset('sst2-aug'), false);
  assert.equal(store.getDataset('sst2-aug'), undefined);
  assert.throws(
    () => store.addExamples('sst2-aug', [ex('a', 'one')]),
    (e: Error & { code?: string }) => e.code === 'NOT_FOUND',
  );
  store.close();
});

test('examples: ordinals follow insertion, re-adding ids is skipped, pairs/labels/origins round-trip', () => {
  const store = openStore(join(dir, 'examples.db'));
  store.createDataset({ id: 'd' });
  const aug: Example = {
    id: 'a1',
    text: 'a film good',
    label: 1,
    origin: { kind: 'augmentation', parentId: 'o1', ops: ['swap'], params: { n: 1 }, seed: '7', changed: [1, 2] },
  };
  assert.deepEqual(store.addExamples('d', [ex('o1', 'a good film', { label: 'pos' }), aug]), {
    inserted: 2,
    skipped: 0,
  });
  assert.deepEqual(store.addExamples('d', [aug, ex('p1', 'premise', { textPair: 'hypothesis', label: null })]), {
    inserted: 1,
    skipped: 1,
  });
  const all = [...store.iterateExamples('d', { pageRows: 2 })];
  assert.deepEqual(
    all.map((e) => [e.ordinal, e.id]),
    [
      [0, 'o1'],
      [1, 'a1'],
      [2, 'p1'],
    ],
  );
  assert.deepEqual(all[1]!.origin, aug.origin);
  assert.equal(all[0]!.label, 'pos');
  assert.equal(all[1]!.label, 1);
  assert.equal(all[2]!.label, null);
  assert.equal(all[2]!.textPair, 'hypothesis');
  assert.equal(all[0]!.textPair, undefined);
  assert.equal(all[2]!.inputHash, inputHash({ text: 'premise', textPair: 'hypothesis' }));
  assert.throws(() => store.addExamples('d', [{ id: 'x', text: 'y' } as Example]), /has no origin/);
  // writing between pages of an iteration is allowed (keyset paging, no open cursor)
  let n = 0;
  for (const e of store.iterateExamples('d', { pageRows: 1 })) {
    if (n++ === 0) store.addExamples('d', [ex(`late-${e.id}`, 'late')]);
  }
  assert.equal(n, 4);
  store.close();
});

test('outputs: content-addressed, only missing components are reported, precision upgrades only', () => {
  const store = openStore(join(dir, 'outputs.db'));
  store.registerTeacher(info);
  const hashes = ['a', 'b', 'c'].map((t) => inputHash({ text: t }));
  const logitsSpec: OutputSpec = { logits: true, temperatures: [1, 2], encoding: 'fp32' };
  assert.deepEqual(
    [...store.missingComponents('fp-demo', hashes, logitsSpec).values()],
    [['logits'], ['logits'], ['logits']],
  );
  const entries: OutputEntry[] = hashes.slice(0, 2).map((h, i) => ({ inputHash: h, output: output(i + 1) }));
  assert.equal(store.putOutputs('fp-demo', entries, logitsSpec), 2);
  assert.deepEqual([...store.missingComponents('fp-demo', hashes, logitsSpec)], [[hashes[2], ['logits']]]);

  // asking for more (hidden 'last' = layer 2 for this teacher) reports only the hidden component
  const moreSpec: OutputSpec = { ...logitsSpec, hidden: { layers: 'last', pooling: 'cls' } };
  const missing = store.missingComponents('fp-demo', hashes, moreSpec);
  assert.deepEqual(missing.get(hashes[0]!), ['hidden:2:cls']);
  assert.deepEqual(missing.get(hashes[2]!), ['logits', 'hidden:2:cls']);
  store.putOutputs(
    'fp-demo',
    [{ inputHash: hashes[0]!, output: { ...output(1, { hidden: true }), logits: undefined } }],
    moreSpec,
  );
  assert.equal(store.missingComponents('fp-demo', hashes, moreSpec).has(hashes[0]!), false);

  const got = store.getOutputs('fp-demo', hashes, logitsSpec);
  assert.deepEqual([...got.keys()], hashes.slice(0, 2));
  const o1 = got.get(hashes[0]!)!;
  assert.deepEqual(o1.logits, Float32Array.from([0.1, -0.1]));
  assert.equal(o1.probs!.length, 2);
  assert.ok(Math.abs(o1.probs![1]![0]! - 1 / (1 + Math.exp(-0.1))) < 1e-6);
  assert.equal(o1.tokens, 5);
  assert.equal(o1.hidden, undefined, 'only what the spec asks for');
  const full = store.getOutputs('fp-demo', [hashes[0]!], moreSpec).get(hashes[0]!)!;
  assert.deepEqual(full.hidden![0]!.value.data, new Float32Array(8).fill(1));

  // an int8 row does not satisfy an fp32 request, and does not overwrite an fp32 row
  const h = inputHash({ text: 'q' });
  store.putOutputs('fp-demo', [{ inputHash: h, output: output(3) }], { encoding: 'int8' });
  assert.deepEqual(store.missingComponents('fp-demo', [h], logitsSpec).get(h), ['logits']);
  assert.equal(store.missingComponents('fp-demo', [h], { ...logitsSpec, encoding: 'int8' }).size, 0);
  store.putOutputs('fp-demo', [{ inputHash: h, output: output(3) }], logitsSpec);
  assert.equal(store.putOutputs('fp-demo', [{ inputHash: h, output: output(4) }], { encoding: 'fp16' }), 0);
  assert.deepEqual(store.getOutputs('fp-demo', [h], logitsSpec).get(h)!.logits, Float32Array.from([0.3, -0.3]));

  // another teacher shares nothing
  assert.equal(store.missingComponents('fp-other', hashes, logitsSpec).size, 3);
  assert.throws(() => store.missingComponents('fp-other', hashes, moreSpec), /unregistered teacher/);
  assert.throws(() => store.getOutputs('fp-demo', ['nothex'], logitsSpec), /not an input hash/);
  store.close();
});

test('stats and labelled iteration join examples to a linked teacher', () => {
  const store = openStore(join(dir, 'stats.db'));
  store.registerTeacher(info);
  store.createDataset({ id: 's' });
  store.addExamples('s', [
    ex('1', 'alpha'),
    ex('2', 'beta'),
    ex('3', ' alpha '), // same normalized input as '1'
    {
      id: '4',
      text: 'gamma',
      origin: { kind: 'augmentation', parentId: '2', ops: ['x'], params: {}, seed: '1', changed: [] },
    },
  ]);
  const spec: OutputSpec = { logits: true, temperatures: [1], encoding: 'fp16' };
  store.linkTeacher('s', 'fp-demo', spec);
  store.putOutputs(
    'fp-demo',
    [
      { inputHash: inputHash({ text: 'alpha' }), output: output(1) },
      { inputHash: inputHash({ text: 'gamma' }), output: output(2) },
    ],
    spec,
  );
  const stats = store.datasetStats('s');
  assert.equal(stats.examples, 4);
  assert.equal(stats.originals, 3);
  assert.equal(stats.augmentations, 1);
  assert.equal(stats.uniqueInputs, 3);
  assert.equal(stats.teachers.length, 1);
  assert.equal(stats.teachers[0]!.labelled, 3);
  assert.deepEqual(stats.teachers[0]!.components, { logits: 3 });
  assert.ok(stats.teachers[0]!.bytes > 0);
  const rows = [...store.iterateLabelled('s', 'fp-demo', spec, { pageRows: 3 })];
  assert.deepEqual(
    rows.map((r) => [r.example.id, r.output !== undefined]),
    [
      ['1', true],
      ['2', false],
      ['3', true],
      ['4', true],
    ],
  );
  assert.deepEqual(rows[3]!.example.origin, {
    kind: 'augmentation',
    parentId: '2',
    ops: ['x'],
    params: {},
    seed: '1',
    changed: [],
  });
  assert.deepEqual(rows[0]!.example.origin, { kind: 'original' });

  // float16Hidden: fp16 hidden states come back as their stored bits, everything else decoded
  const hiddenSpec: OutputSpec = {
    logits: true,
    temperatures: [1],
    hidden: { layers: [2], pooling: 'cls' },
    encoding: 'fp16',
  };
  store.putOutputs(
    'fp-demo',
    [{ inputHash: inputHash({ text: 'alpha' }), output: output(3, { hidden: true }) }],
    hiddenSpec,
  );
  const [plain] = [...store.iterateLabelled('s', 'fp-demo', hiddenSpec)];
  const [raw] = [...store.iterateLabelled('s', 'fp-demo', hiddenSpec, { float16Hidden: true })];
  assert.equal(raw!.output!.hidden, undefined);
  assert.deepEqual(raw!.output!.logits, plain!.output!.logits);
  assert.deepEqual(raw!.float16Hidden!.get('hidden:2:cls'), encodeFloat16(plain!.output!.hidden![0]!.value.data));
  assert.equal(plain!.float16Hidden, undefined);
  assert.deepEqual(
    store.datasetTeachers('s').map((t) => t.fingerprint),
    ['fp-demo'],
  );
  store.close();
});

test('labelled iteration: a spec with more components than one SQL join holds (61 here) reads every one, and a row missing any is unlabelled', () => {
  const store = openStore(join(dir, 'wide.db'));
  const wide: TeacherInfo = { ...info, fingerprint: 'fp-wide', hiddenLayers: 30, attentionLayers: 30 };
  store.registerTeacher(wide);
  store.createDataset({ id: 'w' });
  const spec: OutputSpec = {
    logits: true,
    temperatures: [1],
    hidden: { layers: 'all', pooling: 'cls' },
    attentions: { layers: 'all' },
    encoding: 'fp32',
  };
  store.linkTeacher('w', 'fp-wide', spec);
  store.addExamples(
    'w',
    ['a', 'b', 'c'].map((t) => ex(t, `text ${t}`)),
  );
  const full = (seed: number, skipAttn?: number): TeacherOutput => ({
    ...output(seed),
    hidden: Array.from({ length: 30 }, (_, layer) => ({
      layer,
      pooling: 'cls' as const,
      value: { data: Float32Array.of(seed, layer), shape: [2] },
    })),
    attentions: Array.from({ length: 30 }, (_, layer) => ({
      layer,
      value: { data: Float32Array.of(seed * 100 + layer), shape: [1, 1, 1] },
    })).filter((a) => a.layer !== skipAttn),
  });
  // 'b' lacks the last attention layer: a component that only the second statement reads
  store.putOutputs(
    'fp-wide',
    [
      { inputHash: inputHash({ text: 'text a' }), output: full(1) },
      { inputHash: inputHash({ text: 'text b' }), output: full(2, 29) },
      { inputHash: inputHash({ text: 'text c' }), output: full(3) },
    ],
    spec,
  );
  const rows = [...store.iterateLabelled('w', 'fp-wide', spec, { pageRows: 2 })];
  assert.deepEqual(
    rows.map((r) => [r.example.id, r.output !== undefined]),
    [
      ['a', true],
      ['b', false],
      ['c', true],
    ],
  );
  // pages after the first read on a worker thread: the same rows
  assert.deepEqual([...store.iterateLabelled('w', 'fp-wide', spec, { pageRows: 1, prefetch: true })], rows);
  // stats count in two statements too
  const stats = store.datasetStats('w').teachers[0]!;
  assert.deepEqual(
    [
      stats.labelled,
      stats.components.logits,
      stats.components['hidden:29:cls'],
      stats.components['attn:29'],
      Object.keys(stats.components).length,
    ],
    [2, 3, 3, 2, 61],
  );
  const c = rows[2]!.output!;
  assert.deepEqual(c.logits, output(3).logits);
  assert.equal(c.hidden!.length, 30);
  assert.deepEqual([...c.hidden![29]!.value.data], [3, 29]);
  assert.deepEqual(
    c.attentions!.map((a) => a.value.data[0]),
    Array.from({ length: 30 }, (_, l) => 300 + l),
  );
  assert.equal(c.tokens, output(3).tokens);
  store.close();
});

test('prune: outputs no dataset refers to go once past the grace period; shared ones stay; vacuum gives the space back', () => {
  const path = join(dir, 'prune.db');
  let clock = new Date('2026-03-01T00:00:00Z');
  const store = openStore(path, { now: () => clock });
  store.registerTeacher(info);
  const spec: OutputSpec = {
    logits: true,
    temperatures: [1],
    hidden: { layers: 'last', pooling: 'none' },
    encoding: 'fp32',
  };
  const big = (seed: number): TeacherOutput => ({
    ...output(seed),
    hidden: [{ layer: 2, pooling: 'none', value: { data: new Float32Array(64 * 256).fill(seed), shape: [64, 256] } }],
  });
  for (const id of ['keep', 'gone']) {
    store.createDataset({ id });
    store.linkTeacher(id, 'fp-demo', spec);
  }
  const texts = Array.from({ length: 40 }, (_, i) => `text ${i}`);
  store.addExamples(
    'keep',
    texts.slice(0, 10).map((t, i) => ex(`k${i}`, t)),
  ); // shared with 'gone'
  store.addExamples(
    'gone',
    texts.map((t, i) => ex(`g${i}`, t)),
  );
  store.putOutputs(
    'fp-demo',
    texts.map((t, i) => ({ inputHash: inputHash({ text: t }), output: big(i) })),
    spec,
  );
  // an output cached by a request, never part of a dataset
  store.putOutputs('fp-demo', [{ inputHash: inputHash({ text: 'asked over http' }), output: output(7) }], spec);
  assert.equal(store.deleteDataset('gone'), true);

  // 30 unreferenced inputs x 2 components + 1 logits row; but all were written just now
  assert.deepEqual(
    store.pruneOutputs(),
    { outputs: 0, bytes: 0, sequences: 0 },
    'the grace period spares fresh outputs',
  );
  clock = new Date('2026-03-01T02:00:00Z');
  const dry = store.pruneOutputs({ dryRun: true });
  assert.equal(dry.outputs, 61);
  assert.ok(dry.bytes > 30 * 64 * 256 * 4, `${dry.bytes} bytes`);
  assert.equal(store.countOutputs(), 81, 'a dry run removes nothing');
  assert.deepEqual(store.pruneOutputs(), dry);
  assert.equal(store.countOutputs(), 20);
  assert.deepEqual(store.pruneOutputs({ graceSeconds: 0 }), { outputs: 0, bytes: 0, sequences: 0 });
  // the surviving dataset is still fully labelled, with its values
  const rows = [...store.iterateLabelled('keep', 'fp-demo', spec)];
  assert.equal(rows.filter((r) => r.output).length, 10);
  assert.equal(rows[3]!.output!.hidden![0]!.value.data[0], 3);
  assert.equal(store.integrityCheck(), 'ok');
  assert.throws(() => store.pruneOutputs({ graceSeconds: -1 }), /grace period -1/);
  const v = store.vacuum();
  assert.ok(v.after < v.before / 2, `vacuum ${v.before} -> ${v.after}`);
  store.close();
});

test('dataset stats are kept between calls but never stale: writes by this store or another process refresh them', () => {
  const path = join(dir, 'stats-cache.db');
  const a = openStore(path);
  const b = openStore(path); // another connection, as a CLI job beside the server would be
  a.registerTeacher(info);
  a.createDataset({ id: 's' });
  const spec: OutputSpec = { logits: true, temperatures: [1], encoding: 'fp32' };
  a.linkTeacher('s', 'fp-demo', spec);
  a.addExamples('s', [ex('1', 'one'), ex('2', 'two')]);
  const first = a.datasetStats('s');
  assert.equal(first.examples, 2);
  assert.equal(first.teachers[0]!.labelled, 0);
  first.teachers[0]!.labelled = 99; // a caller mutating its copy does not poison the cache
  assert.equal(a.datasetStats('s').teachers[0]!.labelled, 0);

  a.putOutputs('fp-demo', [{ inputHash: inputHash({ text: 'one' }), output: output(1) }], spec);
  assert.equal(a.datasetStats('s').teachers[0]!.labelled, 1, 'own write');
  b.putOutputs('fp-demo', [{ inputHash: inputHash({ text: 'two' }), output: output(2) }], spec);
  assert.equal(a.datasetStats('s').teachers[0]!.labelled, 2, 'write by another connection');
  b.addExamples('s', [ex('3', 'three')]);
  assert.deepEqual([a.datasetStats('s').examples, a.datasetStats('s').teachers[0]!.labelled], [3, 2]);
  b.pruneOutputs({ graceSeconds: 0 }); // nothing unreferenced: no change
  assert.equal(a.datasetStats('s').teachers[0]!.components.logits, 2);
  a.close();
  b.close();
});

test('top-k: a cached top-K answers any k <= K (missing, outputs, pages, stats) without recomputing', () => {
  const store = openStore(join(dir, 'topk.db'));
  store.registerTeacher(info);
  const vocab = 20;
  const topOf = (seed: number, k: number) => {
    const z = Float32Array.from({ length: vocab }, (_, i) => Math.sin(seed * 7 + i * 1.3) * 5);
    const ids = [...z.keys()].sort((a, b) => z[b]! - z[a]! || a - b).slice(0, k);
    return {
      ids: Int32Array.from(ids),
      logits: Float32Array.from(ids, (i) => z[i]!),
      logSumExp: Math.log(z.reduce((s, v) => s + Math.exp(v), 0)),
    };
  };
  const withTopk = (seed: number, k: number): TeacherOutput => ({
    ...output(seed),
    topK: [topOf(seed, k), topOf(seed + 1, k)],
  });
  const texts = ['p', 'q', 'r'];
  const hashes = texts.map((t) => inputHash({ text: t }));
  const spec = (k: number, encoding: OutputSpec['encoding'] = 'fp32'): OutputSpec => ({
    logits: true,
    temperatures: [1],
    topK: k,
    encoding,
  });
  store.putOutputs(
    'fp-demo',
    hashes.map((h, i) => ({ inputHash: h, output: withTopk(i, 10) })),
    spec(10, 'fp16'),
  );
  // 'r' also has an exact top-5 at fp32: the exact one answers for it
  store.putOutputs('fp-demo', [{ inputHash: hashes[2]!, output: withTopk(2, 5) }], spec(5));

  assert.equal(store.missingComponents('fp-demo', hashes, spec(5, 'fp16')).size, 0, 'top-10 serves top-5');
  assert.deepEqual(
    [...store.missingComponents('fp-demo', hashes, spec(12, 'fp16')).values()],
    [['topk:12'], ['topk:12'], ['topk:12']],
  );
  const got = store.getOutputs('fp-demo', hashes, spec(5, 'fp16'));
  assert.equal(got.size, 3);
  const p = got.get(hashes[0]!)!.topK!;
  assert.equal(p.length, 2);
  assert.deepEqual([...p[1]!.ids], [...topOf(1, 5).ids]);
  assert.ok(
    p[1]!.logits.every((v, i) => Math.abs(v - topOf(1, 5).logits[i]!) < 1e-2),
    'fp16 values of the first five',
  );
  assert.deepEqual(
    [...got.get(hashes[2]!)!.topK![0]!.logits],
    [...topOf(2, 5).logits],
    'the exact fp32 top-5 wins over the fp16 top-10',
  );

  store.createDataset({ id: 't' });
  store.addExamples(
    't',
    texts.map((t) => ex(t, t)),
  );
  store.linkTeacher('t', 'fp-demo', spec(5, 'fp16'));
  const rows = [...store.iterateLabelled('t', 'fp-demo', spec(5, 'fp16'))];
  assert.deepEqual(
    rows.map((r) => r.output?.topK?.[0]?.ids.length),
    [5, 5, 5],
  );
  assert.deepEqual([...rows[1]!.output!.topK![0]!.ids], [...topOf(1, 5).ids]);
  assert.deepEqual([...rows[2]!.output!.topK![0]!.logits], [...topOf(2, 5).logits]);
  const stats = store.datasetStats('t').teachers[0]!;
  assert.deepEqual([stats.labelled, stats.components['topk:5']], [3, 3]);
  store.linkTeacher('t', 'fp-demo', spec(12, 'fp16'));
  const wider = store.datasetStats('t').teachers[0]!;
  assert.deepEqual([wider.labelled, wider.components['topk:12'], wider.components.logits], [0, 0, 3]);
  store.close();
});
