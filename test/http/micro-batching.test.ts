import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_OUTPUT_SPEC,
  type TeacherOutput,
  type TeacherRunner,
  type TextInput,
  type OutputSpec,
} from '../../src/core/types.ts';
import { estimateTokens, MicroBatcher, type BatchStats } from '../../src/labels/index.ts';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';
import { post, startTestService, TINY } from './helpers.ts';

/** The real teacher, with every model call recorded. */
class RecordingRunner implements TeacherRunner {
  calls: number[] = [];
  constructor(readonly inner: OnnxTeacher) {}
  get info() {
    return this.inner.info;
  }
  infer(inputs: TextInput[], spec: OutputSpec): Promise<TeacherOutput[]> {
    this.calls.push(inputs.length);
    return this.inner.infer(inputs, spec);
  }
  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

const texts = Array.from({ length: 12 }, (_, i) => `sentence number ${i} is ${'very '.repeat(i % 4)}long`);

describe('MicroBatcher', () => {
  let teacher: OnnxTeacher;
  before(async () => {
    teacher = await OnnxTeacher.load({ name: 'tiny', dir: TINY });
  });
  after(() => teacher.dispose());

  test('merges concurrent requests into one model call with the same outputs as separate calls', async () => {
    const runner = new RecordingRunner(teacher);
    const stats: BatchStats[] = [];
    const b = new MicroBatcher(runner, {
      enabled: true,
      maxWaitMs: 50,
      maxDelayMs: 1000,
      tokenBudget: 4096,
      maxBatchTexts: 64,
      queueBound: 100,
      onBatch: (s) => stats.push(s),
    });
    const merged = await Promise.all(texts.map((t) => b.submit([{ text: t }], DEFAULT_OUTPUT_SPEC)));
    assert.deepEqual(runner.calls, [12]);
    assert.equal(stats[0]!.texts, 12);
    for (const [i, t] of texts.entries()) {
      const [alone] = await teacher.infer([{ text: t }], DEFAULT_OUTPUT_SPEC);
      merged[i]![0]!.logits!.forEach((z, j) => assert.ok(Math.abs(z - alone!.logits![j]!) < 1e-5));
    }
    await b.close();
  });

  test('respects the token budget', async () => {
    const runner = new RecordingRunner(teacher);
    const est = (t: string) => estimateTokens({ text: t }, teacher.info.maxLength);
    const budget = 3 * Math.max(...texts.map(est));
    const b = new MicroBatcher(runner, {
      enabled: true,
      maxWaitMs: 20,
      maxDelayMs: 1000,
      tokenBudget: budget,
      maxBatchTexts: 64,
      queueBound: 100,
    });
    const seen: string[][] = [];
    runner.infer = (inputs, spec) => {
      seen.push(inputs.map((i) => i.text));
      return teacher.infer(inputs, spec);
    };
    await Promise.all(texts.map((t) => b.submit([{ text: t }], DEFAULT_OUTPUT_SPEC)));
    assert.ok(seen.length >= 4, `${seen.length} calls`);
    for (const call of seen)
      assert.ok(
        call.length * Math.max(...call.map(est)) <= budget,
        `call of ${call.length} texts over budget ${budget}`,
      );
    assert.deepEqual(seen.flat().sort(), [...texts].sort());
    await b.close();
  });

  test('computes identical inputs in one batch once', async () => {
    const runner = new RecordingRunner(teacher);
    const b = new MicroBatcher(runner, {
      enabled: true,
      maxWaitMs: 20,
      maxDelayMs: 1000,
      tokenBudget: 4096,
      maxBatchTexts: 64,
      queueBound: 100,
    });
    const out = await Promise.all(['same', 'other', 'same'].map((t) => b.submit([{ text: t }], DEFAULT_OUTPUT_SPEC)));
    assert.deepEqual(runner.calls, [2]);
    assert.deepEqual(out[2]![0]!.logits, out[0]![0]!.logits);
    await b.close();
  });

  test('the window slides: texts a few ms apart keep joining the batch past maxWaitMs, up to maxDelayMs', async () => {
    const runner = new RecordingRunner(teacher);
    const b = new MicroBatcher(runner, {
      enabled: true,
      maxWaitMs: 250,
      maxDelayMs: 5000,
      tokenBudget: 4096,
      maxBatchTexts: 64,
      queueBound: 100,
    });
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      pending.push(b.submit([{ text: texts[i]! }], DEFAULT_OUTPUT_SPEC));
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(pending);
    assert.deepEqual(runner.calls, [5], 'five texts 100 ms apart (400 ms in all) share one call');
    await b.close();
  });

  test('disabled: one model call per request', async () => {
    const runner = new RecordingRunner(teacher);
    const b = new MicroBatcher(runner, {
      enabled: false,
      maxWaitMs: 50,
      maxDelayMs: 1000,
      tokenBudget: 4096,
      maxBatchTexts: 64,
      queueBound: 100,
    });
    await Promise.all([
      b.submit([{ text: 'a' }, { text: 'b' }], DEFAULT_OUTPUT_SPEC),
      b.submit([{ text: 'c' }], DEFAULT_OUTPUT_SPEC),
    ]);
    assert.deepEqual(runner.calls, [2, 1]);
    await b.close();
  });

  test('refuses past the queue bound, and close() drains what is queued and is safe twice', async () => {
    const runner = new RecordingRunner(teacher);
    const b = new MicroBatcher(runner, {
      enabled: true,
      maxWaitMs: 1000,
      maxDelayMs: 1000,
      tokenBudget: 4096,
      maxBatchTexts: 64,
      queueBound: 3,
    });
    const accepted = b.submit(
      texts.slice(0, 3).map((text) => ({ text })),
      DEFAULT_OUTPUT_SPEC,
    );
    await assert.rejects(b.submit([{ text: 'one too many' }], DEFAULT_OUTPUT_SPEC), { code: 'OVERLOADED' });
    assert.equal(b.depth, 3);
    const c1 = b.close();
    assert.equal(b.close(), c1);
    await c1;
    assert.equal((await accepted).length, 3);
    await assert.rejects(b.submit([{ text: 'late' }], DEFAULT_OUTPUT_SPEC), { code: 'CANCELLED' });
  });
});

test('concurrent HTTP requests share model calls (metrics show batches of several texts)', async () => {
  const svc = await startTestService({ batching: { maxWaitMs: 100, maxDelayMs: 1000 } });
  try {
    await fetch(`${svc.url}/readyz`); // loads the teacher
    const responses = await Promise.all(texts.map((t) => post(`${svc.url}/v1/soft-labels`, { inputs: [t] })));
    assert.deepEqual(
      responses.map((r) => r.status),
      texts.map(() => 200),
    );
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    const calls = Number(/distillery_teacher_calls_total\{teacher="tiny",outcome="ok"\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(calls >= 1 && calls < texts.length, `${calls} model calls for ${texts.length} requests`);
    assert.match(metrics, /distillery_teacher_batch_texts_count\{teacher="tiny"\} \d+/);
    assert.match(metrics, /distillery_teacher_tokens_per_second\{teacher="tiny"\} [1-9]/);
    assert.match(metrics, /distillery_queue_depth\{teacher="tiny"\} 0/);
  } finally {
    await svc.close();
  }
});
