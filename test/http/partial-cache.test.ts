/**
 * POST /v1/soft-labels over real HTTP when the cache holds part of what is asked: only the missing
 * components go to the teacher, and the answer equals a direct model call.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { OutputSpec, TeacherRunner, TextInput } from '../../src/core/types.ts';
import { post, startTestService, type TestService } from './helpers.ts';

interface Result {
  logits?: number[];
  hidden?: { layer: number; pooling: string; value: { shape: number[]; data: number[] } }[];
  cached: boolean;
}

let svc: TestService;
let runner: TeacherRunner;
/** every model call the service makes: the texts and the spec it asked the teacher for */
const calls: { texts: string[]; spec: OutputSpec }[] = [];

before(async () => {
  svc = await startTestService();
  runner = await svc.service.registry.get('tiny');
  const infer = runner.infer.bind(runner);
  runner.infer = (inputs: TextInput[], spec: OutputSpec, opts?: { signal?: AbortSignal }) => {
    calls.push({ texts: inputs.map((i) => i.text), spec });
    return infer(inputs, spec, opts);
  };
});
after(() => svc.close());

const wantsLogits = (s: OutputSpec): boolean => s.logits || s.temperatures.length > 0;

test('a partial cache hit computes only the missing components, and answers like a direct call', async () => {
  const first = await post(`${svc.url}/v1/soft-labels`, { inputs: ['a fine film', 'a dull film'] });
  assert.equal(first.status, 200);
  assert.equal(calls.length, 1, 'the first request is one model call');
  calls.length = 0;

  const outputs = { temperatures: [1], hidden: { layers: 'last', pooling: 'cls' } };
  const res = await post(`${svc.url}/v1/soft-labels`, {
    inputs: ['a fine film', 'a dull film', 'an odd one'],
    outputs,
  });
  assert.equal(res.status, 200);
  const { results } = (await res.json()) as { results: Result[] };

  const logitsComputedFor = calls.filter((c) => wantsLogits(c.spec)).flatMap((c) => c.texts);
  assert.deepEqual(logitsComputedFor, ['an odd one'], 'cached logits are not computed again');
  const hiddenComputedFor = calls.filter((c) => c.spec.hidden).flatMap((c) => c.texts);
  assert.deepEqual(hiddenComputedFor.sort(), ['a dull film', 'a fine film', 'an odd one']);
  assert.deepEqual(
    results.map((r) => r.cached),
    [false, false, false],
    'an input is cached only when all of it was',
  );

  const direct = await runner.infer([{ text: 'a fine film' }, { text: 'a dull film' }, { text: 'an odd one' }], {
    logits: true,
    temperatures: [1],
    hidden: { layers: 'last', pooling: 'cls' },
    encoding: 'fp32',
  });
  results.forEach((r, i) => {
    const w = direct[i]!;
    r.logits!.forEach((z, j) => assert.ok(Math.abs(z - w.logits![j]!) < 1e-5, `logit ${j} of input ${i}`));
    const h = r.hidden![0]!;
    assert.deepEqual(h.value.shape, w.hidden![0]!.value.shape);
    h.value.data.forEach((x, j) => assert.ok(Math.abs(x - w.hidden![0]!.value.data[j]!) < 1e-5, `hidden ${j} of ${i}`));
  });

  calls.length = 0;
  const again = (await (await post(`${svc.url}/v1/soft-labels`, { inputs: ['an odd one'], outputs })).json()) as {
    results: Result[];
  };
  assert.equal(calls.length, 0, 'everything is cached now');
  assert.equal(again.results[0]!.cached, true);
});

test('a top-k beyond the classes is the top-all the teacher writes: a partial hit answers it, a full hit skips the model', async () => {
  // the tiny classifier has 3 classes; logits cached first, then a top-8 is asked for
  const texts = ['topk one', 'topk two'];
  assert.equal((await post(`${svc.url}/v1/soft-labels`, { inputs: texts })).status, 200);
  calls.length = 0;
  const ask = async () => {
    const res = await post(`${svc.url}/v1/soft-labels`, { inputs: texts, outputs: { temperatures: [1], topK: 8 } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { results: (Result & { topK: { ids: number[] }[] })[] }).results;
  };
  const partial = await ask();
  assert.deepEqual(
    calls.map((c) => [c.spec.topK, wantsLogits(c.spec)]),
    [[3, false]],
    'only the top-k is computed, as the top-3 it can be',
  );
  assert.deepEqual(
    partial.map((r) => r.topK[0]!.ids.length),
    [3, 3],
  );
  calls.length = 0;
  const full = await ask();
  assert.equal(calls.length, 0, 'the stored top-3 answers a top-8 request');
  assert.deepEqual(
    full.map((r) => r.cached),
    [true, true],
  );
  assert.deepEqual(
    full.map((r) => r.topK[0]!.ids),
    partial.map((r) => r.topK[0]!.ids),
  );
});
