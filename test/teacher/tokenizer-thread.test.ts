import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import type { OutputSpec, TeacherOutput } from '../../src/core/types.ts';
import { OnnxTeacher, PIPELINE_CHUNK, PIPELINE_MIN_TEXTS } from '../../src/teacher/onnx-teacher.ts';
import { TokenizerThread } from '../../src/teacher/tokenizer-thread.ts';

const DEMO = path.join(REPO_ROOT, 'models/demo-sentiment');
const SPEC: OutputSpec = {
  logits: true,
  temperatures: [2],
  hidden: { layers: 'last', pooling: 'mean' },
  encoding: 'fp32',
};
// More texts than one call keeps in a single plan, with pairs and over-long texts among them.
const train = readFileSync(path.resolve(REPO_ROOT, '../shared/data/corpora/sst2/train.jsonl'), 'utf8')
  .split('\n')
  .slice(0, PIPELINE_MIN_TEXTS + PIPELINE_CHUNK + 300)
  .map((l) => ({ text: (JSON.parse(l) as { text: string }).text }));
const INPUTS = train.map((t, i) =>
  i % 97 === 0 ? { text: t.text, textPair: train[i + 1]!.text } : i % 101 === 0 ? { text: t.text.repeat(40) } : t,
);

let teacher: OnnxTeacher;
before(async () => {
  teacher = await OnnxTeacher.load({ name: 'demo', dir: DEMO, threads: 1 });
});
after(() => teacher.dispose());

function assertClose(a: TeacherOutput[], b: TeacherOutput[]): void {
  assert.equal(a.length, b.length);
  let max = 0;
  a.forEach((o, i) => {
    const p = b[i]!;
    assert.equal(o.tokens, p.tokens, `tokens of input ${i}`);
    assert.equal(o.truncated, p.truncated);
    for (const [x, y] of [
      [o.logits!, p.logits!],
      [o.probs![0]!, p.probs![0]!],
      [o.hidden![0]!.value.data, p.hidden![0]!.value.data],
    ] as const) {
      for (let k = 0; k < x.length; k++) max = Math.max(max, Math.abs(x[k]! - y[k]!));
    }
  });
  assert.ok(max <= 1e-5, `max abs diff ${max}`);
}

test('the tokenizer thread gives exactly the ids the main thread gives', async () => {
  const thread = new TokenizerThread(DEMO, teacher.info.maxLength);
  try {
    const sample = INPUTS.slice(0, 300).concat(INPUTS.filter((x) => 'textPair' in x || x.text.length > 500));
    assert.deepEqual(await thread.encode(sample), teacher.encode(sample));
  } finally {
    await thread.release();
  }
});

test('a large call tokenizes chunk by chunk off the main thread, with the same outputs as one plan', async () => {
  assert.ok(INPUTS.length > PIPELINE_MIN_TEXTS);
  const onePlan = await teacher.inferEncoded(teacher.encode(INPUTS), SPEC);
  await teacher.startTokenizerThread();
  const pipelined = await teacher.infer(INPUTS, SPEC);
  // every chunk went to the tokenizer thread once it was up
  assert.equal(teacher.textsTokenizedOffThread, INPUTS.length);
  assertClose(pipelined, onePlan);
});

test('a small call keeps its single plan on the main thread', async () => {
  const before = teacher.textsTokenizedOffThread;
  const small = INPUTS.slice(0, 50);
  const out = await teacher.infer(small, SPEC);
  assert.equal(teacher.textsTokenizedOffThread, before);
  assertClose(out, await teacher.inferEncoded(teacher.encode(small), SPEC));
});

test('an aborted large call rejects and leaves the teacher usable', async () => {
  const ctrl = new AbortController();
  const call = teacher.infer(INPUTS, SPEC, { signal: ctrl.signal });
  ctrl.abort();
  await assert.rejects(call);
  const [one] = await teacher.infer([{ text: 'a fine film' }], SPEC);
  assert.equal(one!.logits!.length, 2);
});
