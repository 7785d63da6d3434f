import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post, problemOf, startTestService, type TestService } from './helpers.ts';

interface AugmentBody {
  examples: {
    id: string;
    text: string;
    label: unknown;
    origin: { kind: string; parentId: string; ops: string[]; seed: string; changed: number[] };
  }[];
  stats: { examples: number; produced: number };
}

describe('POST /v1/augment', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ limits: { maxTextsPerRequest: 4 } });
  });
  after(() => svc.close());

  const texts = [
    'the quick brown fox jumps over the lazy dog',
    { id: 'r1', text: 'a really good movie with great acting and music', label: 1 },
  ];

  test('eda: augmented texts with provenance, the same for the same seed, different for another', async () => {
    const a = (await (
      await post(`${svc.url}/v1/augment`, { inputs: texts, recipe: 'eda', seed: 7 })
    ).json()) as AugmentBody;
    const again = (await (
      await post(`${svc.url}/v1/augment`, { inputs: texts, recipe: 'eda', seed: 7 })
    ).json()) as AugmentBody;
    const other = (await (
      await post(`${svc.url}/v1/augment`, { inputs: texts, recipe: 'eda', seed: 8 })
    ).json()) as AugmentBody;
    assert.ok(a.examples.length > 0);
    assert.equal(a.stats.examples, 2);
    assert.deepEqual(again, a);
    assert.notDeepEqual(
      other.examples.map((e) => e.text),
      a.examples.map((e) => e.text),
    );
    for (const e of a.examples) {
      assert.equal(e.origin.kind, 'augmentation');
      assert.ok(['0', 'r1'].includes(e.origin.parentId));
      assert.equal(e.origin.seed, '7');
      assert.ok(e.origin.ops.length > 0);
      assert.ok(e.id.startsWith(`${e.origin.parentId}~eda-`));
    }
  });

  test('adversarial: scored by the teacher through the soft labeller', async () => {
    const res = await post(`${svc.url}/v1/augment`, {
      inputs: ['the quick brown fox jumps over the fence'],
      recipe: 'adversarial',
      seed: 1,
    });
    assert.equal(res.status, 200);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, /distillery_teacher_calls_total\{teacher="tiny",outcome="ok"\} [1-9]/);
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['unknown op', { inputs: ['a b c'], recipe: { flow: { op: 'nope' } }, seed: 1 }, 422, /\/recipe\/flow\/op/],
    ['unknown builtin', { inputs: ['a b c'], recipe: 'edax', seed: 1 }, 422, /\/recipe.*builtin recipe name/],
    [
      'a recipe needing a translator',
      { inputs: ['a b c'], recipe: 'backtranslate', seed: 1 },
      422,
      /augmentModels\.translation\.en-de/,
    ],
    ['no seed', { inputs: ['a b c'], recipe: 'eda' }, 422, /\/seed/],
    ['too many outputs', { inputs: ['a b c'], recipe: { builtin: 'eda', variants: 100 }, seed: 1 }, 413, /variants/],
    [
      'duplicate ids',
      {
        inputs: [
          { id: 'x', text: 'a b' },
          { id: 'x', text: 'c d' },
        ],
        recipe: 'eda',
        seed: 1,
      },
      422,
      /unique/,
    ],
  ];
  for (const [name, body, status, detail] of bad) {
    test(`${name} -> ${status}`, async () => {
      const res = await post(`${svc.url}/v1/augment`, body);
      assert.equal(res.status, status);
      const p = await problemOf(res);
      assert.match(`${p.detail} ${JSON.stringify(p.errors ?? [])}`, detail);
    });
  }
});
