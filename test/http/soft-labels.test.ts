import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';
import { post, problemOf, startTestService, TINY, type TestService } from './helpers.ts';

interface Result {
  index: number;
  label?: string;
  logits?: number[];
  probs?: { temperature: number; values: number[] }[];
  topK?: { ids: number[]; labels?: string[]; logits: number[]; logSumExp: number }[];
  hidden?: { layer: number; pooling: string; value: { shape: number[]; data: number[] } }[];
  tokens: number;
  truncated: boolean;
  cached: boolean;
}
interface SoftLabelsBody {
  teacher: { name: string; fingerprint: string; labels: string[] };
  results: Result[];
}

describe('POST /v1/soft-labels', () => {
  let svc: TestService;
  let direct: OnnxTeacher;
  before(async () => {
    svc = await startTestService({ limits: { maxTextsPerRequest: 8, maxCharsPerText: 200, bodyLimit: '4kb' } });
    direct = await OnnxTeacher.load({ name: 'tiny', dir: TINY });
  });
  after(async () => {
    await direct.dispose();
    await svc.close();
  });

  test('returns the teacher outputs a direct model call gives, for texts and pairs', async () => {
    const inputs = [{ text: 'the film was good' }, { text: 'bad plot', textPair: 'great actors though' }];
    const res = await post(`${svc.url}/v1/soft-labels`, {
      inputs: ['the film was good', { text: 'bad plot', textPair: 'great actors though' }],
      outputs: { temperatures: [1, 4], topK: 2, hidden: { layers: 'last', pooling: 'mean' } },
    });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-request-id'));
    const body = (await res.json()) as SoftLabelsBody;
    assert.equal(body.teacher.name, 'tiny');
    assert.equal(body.teacher.fingerprint, direct.info.fingerprint);
    const want = await direct.infer(inputs, {
      logits: true,
      temperatures: [1, 4],
      topK: 2,
      hidden: { layers: 'last', pooling: 'mean' },
      encoding: 'fp32',
    });
    assert.equal(body.results.length, 2);
    body.results.forEach((r, i) => {
      const w = want[i]!;
      assert.equal(r.index, i);
      assert.equal(r.cached, false);
      assert.equal(r.tokens, w.tokens);
      assert.equal(r.logits!.length, direct.info.labels.length);
      r.logits!.forEach((z, j) => assert.ok(Math.abs(z - w.logits![j]!) < 1e-5, `logit ${j} of input ${i}`));
      assert.deepEqual(
        r.probs!.map((p) => p.temperature),
        [1, 4],
      );
      for (const p of r.probs!) assert.ok(Math.abs(p.values.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      // a higher temperature flattens the distribution
      assert.ok(Math.max(...r.probs![1]!.values) < Math.max(...r.probs![0]!.values));
      assert.equal(r.topK![0]!.ids.length, 2);
      assert.equal(r.label, direct.info.labels[r.topK![0]!.ids[0]!]);
      assert.equal(r.hidden![0]!.pooling, 'mean');
      r.hidden![0]!.value.data.forEach((h, j) => assert.ok(Math.abs(h - w.hidden![0]!.value.data[j]!) < 1e-5));
    });
  });

  test('the same input again is answered from the cache with the same numbers', async () => {
    const body = { inputs: ['cache me if you can'] };
    const first = (await (await post(`${svc.url}/v1/soft-labels`, body)).json()) as SoftLabelsBody;
    const second = (await (await post(`${svc.url}/v1/soft-labels`, body)).json()) as SoftLabelsBody;
    assert.equal(first.results[0]!.cached, false);
    assert.equal(second.results[0]!.cached, true);
    assert.deepEqual(second.results[0]!.logits, first.results[0]!.logits);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, /distillery_cache_lookups_total\{teacher="tiny",result="hit"\} [1-9]/);
  });

  test('logits can be left out: probabilities only, label still given', async () => {
    const res = await post(`${svc.url}/v1/soft-labels`, {
      inputs: ['probabilities only please'],
      outputs: { logits: false, temperatures: [2] },
    });
    assert.equal(res.status, 200);
    const r = ((await res.json()) as SoftLabelsBody).results[0]!;
    assert.equal(r.logits, undefined);
    assert.equal(r.probs!.length, 1);
    assert.equal(r.label, direct.info.labels[r.probs![0]!.values.indexOf(Math.max(...r.probs![0]!.values))]);
  });

  test('malformed JSON is a 400 problem', async () => {
    const res = await post(`${svc.url}/v1/soft-labels`, '{"inputs": [');
    assert.equal(res.status, 400);
    const p = await problemOf(res);
    assert.equal(p.status, 400);
    assert.match(p.detail, /not valid JSON/);
    assert.equal(p.requestId, res.headers.get('x-request-id'));
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['missing inputs', {}, 422, /\/inputs/],
    ['empty text', { inputs: [''] }, 422, /\/inputs\/0/],
    ['wrong type', { inputs: [42] }, 422, /\/inputs\/0/],
    ['unknown field', { inputs: ['a'], extra: 1 }, 422, /extra/],
    ['too many texts', { inputs: Array.from({ length: 9 }, (_, i) => `t${i}`) }, 422, /at most 8 texts/],
    ['text too long', { inputs: ['x'.repeat(201)] }, 422, /\/inputs\/0.*at most 200 characters/],
    ['bad temperature', { inputs: ['a'], outputs: { temperatures: [0] } }, 422, /\/outputs\/temperatures\/0/],
    [
      'layer out of range',
      { inputs: ['a'], outputs: { hidden: { layers: [99] } } },
      422,
      /\/outputs\/hidden\/layers\/0/,
    ],
    ['no output asked for', { inputs: ['a'], outputs: { logits: false, temperatures: [] } }, 422, /\/outputs/],
    ['unknown teacher', { inputs: ['a'], teacher: 'nope' }, 404, /\/teacher/],
    ['a path instead of a teacher name', { inputs: ['a'], teacher: '../models/tiny-bert-mlm' }, 422, /\/teacher/],
    ['a hub id instead of a teacher name', { inputs: ['a'], teacher: 'Xenova/bert-base' }, 422, /\/teacher/],
  ];
  for (const [name, body, status, detail] of bad) {
    test(`${name} -> ${status} naming the field`, async () => {
      const res = await post(`${svc.url}/v1/soft-labels`, body);
      assert.equal(res.status, status);
      const p = await problemOf(res);
      assert.match(`${p.detail} ${JSON.stringify(p.errors ?? [])}`, detail);
    });
  }

  test('a body over the limit is a 413 problem', async () => {
    const res = await post(`${svc.url}/v1/soft-labels`, { inputs: ['y'.repeat(5000)] });
    assert.equal(res.status, 413);
    assert.match((await problemOf(res)).detail, /limit/);
  });

  test('an unknown route is a 404 problem', async () => {
    const res = await fetch(`${svc.url}/v1/nothing-here`);
    assert.equal(res.status, 404);
    await problemOf(res);
  });

  test('a caller request id is echoed; a hostile one is replaced', async () => {
    const ok = await fetch(`${svc.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(ok.headers.get('x-request-id'), 'trace-123');
    const hostile = await fetch(`${svc.url}/healthz`, { headers: { 'x-request-id': 'a b\u00e9'.repeat(3) } });
    assert.match(hostile.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });
});

test('the embedded default teacher (demo) labels clear sentiment correctly over HTTP', async () => {
  const { loadConfig } = await import('../../src/config.ts');
  const demo = loadConfig({}, {}).teachers[0]!;
  assert.equal(demo.name, 'demo');
  const svc = await startTestService({ teachers: [demo] });
  try {
    const res = await post(`${svc.url}/v1/soft-labels`, {
      inputs: ['a warm, funny and moving film', 'dull, lifeless and far too long'],
      outputs: { temperatures: [1, 2] },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as SoftLabelsBody;
    assert.deepEqual(body.teacher.labels, ['NEGATIVE', 'POSITIVE']);
    assert.deepEqual(
      body.results.map((r) => r.label),
      ['POSITIVE', 'NEGATIVE'],
    );
    assert.ok(body.results[0]!.probs![0]!.values[1]! > 0.7);
    assert.ok(body.results[1]!.probs![0]!.values[0]! > 0.7);
  } finally {
    await svc.close();
  }
});
