import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeFloat16, inputHash, openStore, type OutputEntry } from '../../src/store/index.ts';
import type { Example, OutputSpec, TeacherInfo, TeacherOutput } from '../../src/core/types.ts';
import { tempDir } from '../helpers/temp-dir.ts';

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

const ex = (id: string, text: string, extra: Partial<Example> = {}): Example => ({ id, text, origin: { kind: 'original' }, ...extra });

function output(seed: number, opts: { hidden?: boolean } = {}): TeacherOutput {
  const out: TeacherOutput = { logits: Float32Array.from([seed / 10, -seed / 10]), tokens: 4 + seed, truncated: seed % 2 === 1 };
  if (opts.hidden) out.hidden = [{ layer: 2, pooling: 'cls', value: { data: new Float32Array(8).fill(seed), shape: [8] } }];
  return out;
}

test('open: WAL, foreign keys, migrations recorded in user_version; close twice is safe', () => {
  const path = join(dir, 'open.db');
  const store = openStore(path);
  assert.equal(store.schemaVersion, 3);
  store.close();
  store.close();
  assert.throws(() => store.listDatasets(), /closed/);
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(raw.pragma('user_version', { simple: true }), 3);
  raw.close();
  const again = openStore(path); // re-open applies nothing new
  assert.equal(again.schemaVersion, 3);
  again.close();
});

test('datasets: create, validate id, list, get, delete cascades examples', () => {
  const store = openStore(join(dir, 'datasets.db'), { now: fixedNow });
  const d = store.createDataset({ id: 'sst2-aug', name: 'SST-2 augmented', spec: { recipe: 'eda' } });
  assert.equal(d.created, '2026-01-02T03:04:05.000Z');
  assert.throws(() => store.createDataset({ id: 'sst2-aug' }), /already exists/);
  for (const bad of ['', 'Upper', '-dash', 'a'.repeat(65), 'sp ace', '../x']) {
    assert.throws(() => store.createDataset({ id: bad }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT', bad);
  }
  store.createDataset({ id: 'b.2_x-y' });
  assert.deepEqual(store.listDatasets().map((x) => x.id), ['b.2_x-y', 'sst2-aug']);
  assert.deepEqual(store.getDataset('sst2-aug')?.spec, { recipe: 'eda' });
  store.addExamples('sst2-aug', [ex('a', 'one')]);
  assert.equal(store.deleteDataset('sst2-aug'), true);
  assert.equal(store.deleteDataset('sst2-aug'), false);
  assert.equal(store.getDataset('sst2-aug'), undefined);
  assert.throws(() => store.addExamples('sst2-aug', [ex('a', 'one')]), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
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
  assert.deepEqual(store.addExamples('d', [ex('o1', 'a good film', { label: 'pos' }), aug]), { inserted: 2, skipped: 0 });
  assert.deepEqual(store.addExamples('d', [aug, ex('p1', 'premise', { textPair: 'hypothesis', label: null })]), { inserted: 1, skipped: 1 });
  const all = [...store.iterateExamples('d', { pageRows: 2 })];
  assert.deepEqual(all.map((e) => [e.ordinal, e.id]), [[0, 'o1'], [1, 'a1'], [2, 'p1']]);
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
  assert.deepEqual([...store.missingComponents('fp-demo', hashes, logitsSpec).values()], [['logits'], ['logits'], ['logits']]);
  const entries: OutputEntry[] = hashes.slice(0, 2).map((h, i) => ({ inputHash: h, output: output(i + 1) }));
  assert.equal(store.putOutputs('fp-demo', entries, logitsSpec), 2);
  assert.deepEqual([...store.missingComponents('fp-demo', hashes, logitsSpec)], [[hashes[2], ['logits']]]);

  // asking for more (hidden 'last' = layer 2 for this teacher) reports only the hidden component
  const moreSpec: OutputSpec = { ...logitsSpec, hidden: { layers: 'last', pooling: 'cls' } };
  const missing = store.missingComponents('fp-demo', hashes, moreSpec);
  assert.deepEqual(missing.get(hashes[0]!), ['hidden:2:cls']);
  assert.deepEqual(missing.get(hashes[2]!), ['logits', 'hidden:2:cls']);
  store.putOutputs('fp-demo', [{ inputHash: hashes[0]!, output: { ...output(1, { hidden: true }), logits: undefined } }], moreSpec);
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
    { id: '4', text: 'gamma', origin: { kind: 'augmentation', parentId: '2', ops: ['x'], params: {}, seed: '1', changed: [] } },
  ]);
  const spec: OutputSpec = { logits: true, temperatures: [1], encoding: 'fp16' };
  store.linkTeacher('s', 'fp-demo', spec);
  store.putOutputs('fp-demo', [{ inputHash: inputHash({ text: 'alpha' }), output: output(1) }, { inputHash: inputHash({ text: 'gamma' }), output: output(2) }], spec);
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
  assert.deepEqual(rows.map((r) => [r.example.id, r.output !== undefined]), [['1', true], ['2', false], ['3', true], ['4', true]]);
  assert.deepEqual(rows[3]!.example.origin, { kind: 'augmentation', parentId: '2', ops: ['x'], params: {}, seed: '1', changed: [] });
  assert.deepEqual(rows[0]!.example.origin, { kind: 'original' });

  // float16Hidden: fp16 hidden states come back as their stored bits, everything else decoded
  const hiddenSpec: OutputSpec = { logits: true, temperatures: [1], hidden: { layers: [2], pooling: 'cls' }, encoding: 'fp16' };
  store.putOutputs('fp-demo', [{ inputHash: inputHash({ text: 'alpha' }), output: output(3, { hidden: true }) }], hiddenSpec);
  const [plain] = [...store.iterateLabelled('s', 'fp-demo', hiddenSpec)];
  const [raw] = [...store.iterateLabelled('s', 'fp-demo', hiddenSpec, { float16Hidden: true })];
  assert.equal(raw!.output!.hidden, undefined);
  assert.deepEqual(raw!.output!.logits, plain!.output!.logits);
  assert.deepEqual(raw!.float16Hidden!.get('hidden:2:cls'), encodeFloat16(plain!.output!.hidden![0]!.value.data));
  assert.equal(plain!.float16Hidden, undefined);
  assert.deepEqual(store.datasetTeachers('s').map((t) => t.fingerprint), ['fp-demo']);
  store.close();
});
