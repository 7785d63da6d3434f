import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DistilleryError } from '../../src/core/errors.ts';
import type { OutputSpec, TeacherOutput } from '../../src/core/types.ts';
import { exposeHiddenDir } from '../../src/teacher/model-tools.ts';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const FULL: OutputSpec = {
  logits: true,
  temperatures: [1, 2],
  topK: 2,
  hidden: { layers: 'all', pooling: 'none' },
  attentions: { layers: 'all' },
  encoding: 'fp32',
};
const TEXTS = [
  { text: 'a good movie' },
  { text: 'the plot is thin , but the acting is wonderful and the score is lovely' },
  { text: 'bad' },
  { text: 'what a waste of time', textPair: 'i loved every minute of it' },
  { text: 'it is neither here nor there , really' },
];

let teacher: OnnxTeacher;
before(async () => {
  teacher = await OnnxTeacher.load({
    name: 'tiny',
    dir: path.join(MODELS, 'tiny-bert-classifier'),
    limits: { tokenBudget: 256, maxBatchSize: 4 },
  });
});
after(() => teacher.dispose());

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function assertSameOutputs(a: TeacherOutput, b: TeacherOutput): void {
  assert.ok(maxDiff(a.logits!, b.logits!) <= 1e-5);
  a.hidden!.forEach((h, i) => {
    assert.deepEqual(h.value.shape, b.hidden![i]!.value.shape);
    assert.ok(maxDiff(h.value.data, b.hidden![i]!.value.data) <= 1e-5, `hidden ${h.layer}`);
  });
  a.attentions!.forEach((h, i) =>
    assert.ok(maxDiff(h.value.data, b.attentions![i]!.value.data) <= 1e-5, `attention ${h.layer}`),
  );
}

test('a text gets the same outputs alone and inside any batch', async () => {
  const batched = await teacher.infer(TEXTS, FULL);
  for (let i = 0; i < TEXTS.length; i++) {
    const [alone] = await teacher.infer([TEXTS[i]!], FULL);
    assertSameOutputs(alone!, batched[i]!);
  }
  const reversed = await teacher.infer([...TEXTS].reverse(), FULL);
  reversed.reverse().forEach((o, i) => assertSameOutputs(o, batched[i]!));
});

test('outputs equal a direct onnxruntime-node session on the same token ids', async () => {
  const session = await ort.InferenceSession.create(path.join(MODELS, 'tiny-bert-classifier/onnx/model.onnx'));
  const [enc] = teacher.encode([TEXTS[3]!]);
  const n = enc!.ids.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(enc!.ids.map(BigInt)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: new ort.Tensor('int64', BigInt64Array.from(enc!.typeIds.map(BigInt)), [1, n]),
  };
  const direct = await session.run(feeds);
  const [ours] = await teacher.infer([TEXTS[3]!], { ...FULL, hidden: { layers: 'last', pooling: 'none' } });
  assert.ok(maxDiff(ours!.logits!, direct.logits!.data as Float32Array) <= 1e-5);
  const last = `hidden_states.${teacher.outputs.hiddenLayers.at(-1)}`;
  assert.ok(maxDiff(ours!.hidden![0]!.value.data, direct[last]!.data as Float32Array) <= 1e-5);
  assert.ok(enc!.typeIds.includes(1), 'the second segment of a pair has token type 1');
  await session.release();
});

test('pooling: cls is position 0 and mean averages real tokens only', async () => {
  const [none] = await teacher.infer([TEXTS[1]!], { ...FULL, hidden: { layers: 'last', pooling: 'none' } });
  const [cls] = await teacher.infer([TEXTS[1]!], { ...FULL, hidden: { layers: 'last', pooling: 'cls' } });
  const [mean] = await teacher.infer([TEXTS[1]!, TEXTS[2]!], { ...FULL, hidden: { layers: 'last', pooling: 'mean' } });
  const [tokens, width] = none!.hidden![0]!.value.shape as [number, number];
  assert.equal(tokens, none!.tokens);
  assert.ok(maxDiff(cls!.hidden![0]!.value.data, none!.hidden![0]!.value.data.subarray(0, width)) <= 1e-6);
  const avg = new Float32Array(width);
  for (let p = 0; p < tokens; p++)
    for (let h = 0; h < width; h++) avg[h]! += none!.hidden![0]!.value.data[p * width + h]! / tokens;
  assert.ok(maxDiff(mean!.hidden![0]!.value.data, avg) <= 1e-5);
});

test('probabilities at T derive from the logits and top-k carries the log-sum-exp', async () => {
  const [o] = await teacher.infer([TEXTS[0]!], FULL);
  const z = Array.from(o!.logits!);
  const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
  assert.ok(Math.abs(o!.topK![0]!.logSumExp - lse) < 1e-5);
  const p2 = z.map((v) => Math.exp(v / 2));
  const s2 = p2.reduce((a, b) => a + b);
  assert.ok(
    maxDiff(
      o!.probs![1]!,
      p2.map((v) => v / s2),
    ) < 1e-6,
  );
  assert.ok(o!.topK![0]!.logits[0]! >= o!.topK![0]!.logits[1]!);
});

test('long inputs are truncated to the max length, keep [SEP], and say so', async () => {
  const long = { text: Array.from({ length: 200 }, (_, i) => `word${i % 7}`).join(' ') };
  const pair = { text: 'short one', textPair: Array.from({ length: 200 }, () => 'movie').join(' ') };
  const [a, b] = teacher.encode([long, pair]);
  assert.equal(a!.ids.length, teacher.info.maxLength);
  assert.equal(a!.truncated, true);
  const sep = a!.ids.at(-1)!;
  assert.equal(b!.ids.at(-1), sep);
  assert.equal(b!.ids.length, teacher.info.maxLength);
  // longest_first: the short first segment survives whole
  assert.equal(b!.typeIds.filter((t) => t === 0).length, teacher.encode([{ text: 'short one' }])[0]!.ids.length);
  const [out] = await teacher.infer([long], FULL);
  assert.equal(out!.truncated, true);
  assert.equal(out!.tokens, teacher.info.maxLength);
  const [short] = await teacher.infer([TEXTS[0]!], FULL);
  assert.equal(short!.truncated, false);
});

test('expose-hidden gives a logits-only export the hidden states of the full fixture', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'distillery-expose-'));
  try {
    const report = exposeHiddenDir(path.join(MODELS, 'tiny-bert-classifier-logits-only'), path.join(dir, 'exposed'));
    assert.deepEqual(
      report.files[0]!.added,
      teacher.outputs.hiddenLayers.map((l) => `hidden_states.${l}`),
    );
    const exposed = await OnnxTeacher.load({ name: 'exposed', dir: path.join(dir, 'exposed') });
    const spec: OutputSpec = {
      logits: true,
      temperatures: [],
      hidden: { layers: 'all', pooling: 'none' },
      encoding: 'fp32',
    };
    const ours = await exposed.infer(TEXTS, spec);
    const reference = await teacher.infer(TEXTS, spec);
    ours.forEach((o, i) => {
      assert.ok(maxDiff(o.logits!, reference[i]!.logits!) <= 1e-5);
      o.hidden!.forEach((h, k) => assert.ok(maxDiff(h.value.data, reference[i]!.hidden![k]!.value.data) <= 1e-5));
    });
    await exposed.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('asking for an output the graph lacks is a clear error naming the fix', async () => {
  const plain = await OnnxTeacher.load({ name: 'plain', dir: path.join(MODELS, 'tiny-bert-classifier-logits-only') });
  await assert.rejects(
    plain.infer(TEXTS, { ...FULL, attentions: undefined }),
    (err: unknown) =>
      err instanceof DistilleryError && err.code === 'UNSUPPORTED_OUTPUT' && /expose-hidden/.test(err.hint ?? ''),
  );
  await assert.rejects(teacher.infer(TEXTS, { ...FULL, hidden: { layers: [99], pooling: 'cls' } }), /layer\(s\) 99/);
  await plain.dispose();
});

test('the fingerprint is stable per model and changes with dtype-relevant settings', async () => {
  const again = await OnnxTeacher.load({ name: 'again', dir: path.join(MODELS, 'tiny-bert-classifier') });
  const shorter = await OnnxTeacher.load({
    name: 'short',
    dir: path.join(MODELS, 'tiny-bert-classifier'),
    maxLength: 32,
  });
  const other = await OnnxTeacher.load({ name: 'other', dir: path.join(MODELS, 'tiny-bert-classifier-logits-only') });
  assert.match(teacher.info.fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(again.info.fingerprint, teacher.info.fingerprint);
  assert.notEqual(shorter.info.fingerprint, teacher.info.fingerprint);
  assert.notEqual(other.info.fingerprint, teacher.info.fingerprint);
  await Promise.all([again.dispose(), shorter.dispose(), other.dispose()]);
});

test('masked-LM teachers give per-token top-k', async () => {
  const mlm = await OnnxTeacher.load({ name: 'mlm', dir: path.join(MODELS, 'tiny-bert-mlm') });
  assert.equal(mlm.info.task, 'fill-mask');
  const [o] = await mlm.infer([{ text: 'the [MASK] was good' }], {
    logits: true,
    temperatures: [],
    topK: 3,
    encoding: 'fp32',
  });
  assert.equal(o!.topK!.length, o!.tokens);
  assert.equal(o!.topK![0]!.ids.length, 3);
  await mlm.dispose();
});

test('an explicit GPU device that cannot start fails loudly; auto falls back to cpu and says so', async () => {
  const dir = path.join(MODELS, 'tiny-bert-classifier');
  await assert.rejects(
    OnnxTeacher.load({ name: 'gpu', dir, device: 'cuda' }),
    (err: unknown) =>
      err instanceof DistilleryError &&
      err.code === 'DEVICE_UNAVAILABLE' &&
      /ONNXRUNTIME_NODE_INSTALL=cuda12/.test(err.hint ?? ''),
  );
  const lines: string[] = [];
  const auto = await OnnxTeacher.load({ name: 'auto', dir, device: 'auto', log: (l) => lines.push(l) });
  assert.ok(['cpu', 'webgpu', 'cuda'].includes(auto.info.device));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, new RegExp(`running on ${auto.info.device}`));
  await auto.dispose();
});
