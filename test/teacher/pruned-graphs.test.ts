/**
 * A teacher runs a copy of its graph pruned to the outputs a request asks for, and the outputs are the
 * same, bit for bit, as computing every graph output.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { OutputSpec, TeacherOutput } from '../../src/core/types.ts';
import { exposeHiddenDir } from '../../src/teacher/model-tools.ts';
import { pruneGraphOutputs } from '../../src/teacher/onnx/prune-outputs.ts';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const TINY = path.join(MODELS, 'tiny-bert-classifier');
const TEXTS = [
  { text: 'a good movie' },
  { text: 'the plot is thin , but the acting is wonderful and the score is lovely' },
  { text: 'what a waste of time', textPair: 'i loved every minute of it' },
];
const spec = (extra: Partial<OutputSpec>): OutputSpec => ({
  logits: true,
  temperatures: [1],
  encoding: 'fp32',
  ...extra,
});
// What an `all` request fetches from this fixture: the logits, hidden_states.0-2, attentions.0-1.
const LOGITS = spec({});
const LAST_CLS = spec({ hidden: { layers: 'last', pooling: 'cls' } });
const FIRST_ATTENTION = spec({ logits: false, temperatures: [], attentions: { layers: [0] } });
const EVERYTHING = spec({ topK: 2, hidden: { layers: 'all', pooling: 'none' }, attentions: { layers: 'all' } });

const teachers: OnnxTeacher[] = [];
after(() => Promise.all(teachers.map((t) => t.dispose())));
async function load(dir: string, dtype: string, pruneOutputs?: boolean): Promise<OnnxTeacher> {
  const t = await OnnxTeacher.load({ name: path.basename(dir), dir, dtype, pruneOutputs });
  teachers.push(t);
  return t;
}

function assertBitForBit(a: TeacherOutput[], b: TeacherOutput[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    assert.deepEqual(
      x.logits && Array.from(x.logits),
      b[i]!.logits && Array.from(b[i]!.logits),
      `${what}: logits ${i}`,
    );
    assert.deepEqual(x.hidden, b[i]!.hidden, `${what}: hidden ${i}`);
    assert.deepEqual(x.attentions, b[i]!.attentions, `${what}: attentions ${i}`);
    assert.deepEqual(x.topK, b[i]!.topK, `${what}: top-k ${i}`);
  });
}

test('pruning drops the unwanted graph outputs and keeps the model runnable', async () => {
  const model = readFileSync(path.join(TINY, 'onnx/model.onnx'));
  const pruned = pruneGraphOutputs(model, ['logits', 'hidden_states.2']);
  assert.ok(!('skipped' in pruned));
  assert.deepEqual(pruned.removedOutputs.sort(), [
    'attentions.0',
    'attentions.1',
    'hidden_states.0',
    'hidden_states.1',
  ]);
  const session = await ort.InferenceSession.create(pruned.bytes);
  assert.deepEqual(session.outputNames, ['logits', 'hidden_states.2']);
  assert.deepEqual(session.inputNames, (await ort.InferenceSession.create(model)).inputNames);
  await session.release();
  assert.deepEqual(
    pruneGraphOutputs(model, [
      'logits',
      'hidden_states.0',
      'hidden_states.1',
      'hidden_states.2',
      'attentions.0',
      'attentions.1',
    ]),
    {
      skipped: 'every output is wanted',
    },
  );
  assert.throws(() => pruneGraphOutputs(model, ['pooler_output']), /no output pooler_output/);
});

test('nodes that only fed a dropped output go too', () => {
  const dir = tempDir();
  exposeHiddenDir(path.join(MODELS, 'tiny-bert-classifier-logits-only'), dir);
  const model = readFileSync(path.join(dir, 'onnx/model.onnx'));
  const pruned = pruneGraphOutputs(model, ['logits']);
  assert.ok(!('skipped' in pruned));
  assert.ok(pruned.removedNodes >= 3, `${pruned.removedNodes} nodes removed (the Identity nodes expose-hidden added)`);
  assert.ok(pruned.bytes.length < model.length);
});

function maxDiff(a: TeacherOutput[], b: TeacherOutput[]): number {
  let m = 0;
  const diff = (x?: ArrayLike<number>, y?: ArrayLike<number>) => {
    assert.equal(x?.length, y?.length);
    for (let i = 0; i < (x?.length ?? 0); i++) m = Math.max(m, Math.abs(x![i]! - y![i]!));
  };
  a.forEach((o, i) => {
    diff(o.logits, b[i]!.logits);
    o.hidden?.forEach((h, k) => diff(h.value.data, b[i]!.hidden![k]!.value.data));
    o.attentions?.forEach((h, k) => diff(h.value.data, b[i]!.attentions![k]!.value.data));
  });
  return m;
}

for (const dtype of ['fp32', 'q8']) {
  test(`${dtype}: pruned to the logits, the graph computes bit for bit what the logits-only export computes`, async () => {
    const pruned = await load(TINY, dtype, true);
    const exported = await load(path.join(MODELS, 'tiny-bert-classifier-logits-only'), dtype, false);
    assertBitForBit(await pruned.infer(TEXTS, LOGITS), await exported.infer(TEXTS, LOGITS), 'logits');
    assert.deepEqual(pruned.graphs!.open, ['logits'], 'the whole graph, unused, was closed first');
  });

  test(`${dtype}: every spec stays within float rounding of the whole graph; open graphs are cached, least recently used closed`, async () => {
    const whole = await load(TINY, dtype, false);
    const pruned = await load(TINY, dtype, true);
    for (const [name, s, open] of [
      // the whole graph loaded with the teacher has run nothing yet: it is closed first
      ['logits', LOGITS, ['logits']],
      ['logits + last hidden', LAST_CLS, ['logits', 'logits,hidden_states.2']],
      ['logits again', LOGITS, ['logits', 'logits,hidden_states.2']],
      ['one attention layer', FIRST_ATTENTION, ['attentions.0', 'logits']],
      ['everything', EVERYTHING, ['*', 'attentions.0']],
    ] as const) {
      const diff = maxDiff(await pruned.infer(TEXTS, s), await whole.infer(TEXTS, s));
      assert.ok(diff <= 1e-6, `${name}: max abs diff ${diff}`);
      assert.deepEqual(pruned.graphs!.open, open, name);
    }
  });
}

test('a spec gets the same outputs bit for bit whatever was asked before, also under concurrent requests', async () => {
  const fresh = await load(TINY, 'fp32', true);
  const expected = await fresh.infer(TEXTS, LAST_CLS);
  const busy = await load(TINY, 'fp32', true);
  const specs = [LOGITS, LAST_CLS, FIRST_ATTENTION, LAST_CLS, EVERYTHING, LOGITS, LAST_CLS];
  const got = await Promise.all(specs.map((s) => busy.infer(TEXTS, s)));
  for (const i of [1, 3, 6]) assertBitForBit(got[i]!, expected, `request ${i}`);
  assert.ok(!(await busy.infer(TEXTS, EVERYTHING)).some((o) => !o.attentions?.length));
});

test('float graphs are pruned by default; quantized ones only when asked (their fused kernels quantize differently)', async () => {
  assert.ok((await load(TINY, 'fp32')).graphs);
  assert.equal((await load(TINY, 'q8')).graphs, undefined);
  assert.ok((await load(TINY, 'q8', true)).graphs);
});

test('a session on the main thread runs the same pruned graphs', async () => {
  const onWorker = await load(TINY, 'fp32');
  const onMain = await OnnxTeacher.load({ name: 'main', dir: TINY, thread: 'main' });
  teachers.push(onMain);
  for (const s of [LAST_CLS, FIRST_ATTENTION, LOGITS])
    assertBitForBit(await onMain.infer(TEXTS, s), await onWorker.infer(TEXTS, s), 'main thread');
  assert.deepEqual(onMain.graphs!.open, onWorker.graphs!.open);
});

test('when the pruned copy cannot be written, the spec runs on the whole graph and the log says why', async () => {
  const whole = await load(TINY, 'fp32', false);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = path.join(tempDir(), 'missing');
  const logs: string[] = [];
  try {
    const t = await OnnxTeacher.load({ name: 'no-tmp', dir: TINY, dtype: 'fp32', log: (m) => logs.push(m) });
    teachers.push(t);
    assertBitForBit(await t.infer(TEXTS, LOGITS), await whole.infer(TEXTS, LOGITS), 'whole graph');
    assert.deepEqual(t.graphs!.open, ['*']);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  assert.ok(
    logs.some((m) => /computing every output for logits \(the pruned graph failed: .*ENOENT/.test(m)),
    logs.join('\n'),
  );
});
