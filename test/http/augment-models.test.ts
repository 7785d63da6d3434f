/**
 * Model-backed recipes over HTTP with the models the server config names (augmentModels): the tiny BERT
 * masked LM (tinybert), the tiny Marian pair (back-translation through the "xx" pivot), the demo causal LM
 * (paraphrase), and a configured
 * scoring teacher (adversarial). A recipe needing a model the config does not name is a 422 naming the key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { post, problemOf, startTestService, TINY_TEACHER, type TestService } from './helpers.ts';

interface AugmentBody {
  examples: { id: string; text: string; origin: { kind: string; parentId: string; ops: string[] } }[];
  stats: { examples: number; produced: number; skipped: Record<string, number> };
}

const EN = [
  'The cat sat on the table.',
  'My mother and father love music.',
  'The children play in the snow.',
  'A little bird can fly over the big tree.',
];
const DEMO = { name: 'demo', path: path.join(REPO_ROOT, 'models', 'demo-sentiment') };

describe('POST /v1/augment with configured augmentation models', () => {
  let svc: TestService;
  let corpora: string;
  before(async () => {
    corpora = mkdtempSync(path.join(tmpdir(), 'distillery-augment-models-'));
    writeFileSync(
      path.join(corpora, 'en.jsonl'),
      EN.map((text, i) => JSON.stringify({ text, label: i % 2 })).join('\n') + '\n',
    );
    svc = await startTestService({
      teachers: [TINY_TEACHER, DEMO],
      corporaDirs: [corpora],
      augmentModels: {
        fillMask: 'tiny-bert-mlm',
        translation: { 'en-xx': 'tiny-marian-en-xx', 'xx-en': 'tiny-marian-xx-en' },
        generator: 'demo-lm',
        scorer: 'demo',
      },
    });
  });
  after(async () => {
    await svc.close();
    rmSync(corpora, { recursive: true, force: true });
  });

  const augment = async (body: unknown): Promise<AugmentBody> => {
    const res = await post(`${svc.url}/v1/augment`, body);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as AugmentBody;
  };

  test('tinybert: masked-LM replacements, the same for the same seed', async () => {
    const body = { inputs: EN, recipe: { builtin: 'tinybert', variants: 3 }, seed: 5 };
    const a = await augment(body);
    assert.ok(a.examples.length > 0, JSON.stringify(a.stats));
    for (const e of a.examples) assert.deepEqual(e.origin.ops, ['masked-lm']);
    assert.deepEqual(await augment(body), a);
  });

  test('paraphrase through the configured causal LM: rewrites with provenance, the same for the same seed', async () => {
    const body = { inputs: EN, recipe: { builtin: 'paraphrase', variants: 2, params: { maxNewTokens: 12 } }, seed: 3 };
    const a = await augment(body);
    assert.ok(a.examples.length > 0, JSON.stringify(a.stats));
    for (const e of a.examples) assert.deepEqual(e.origin.ops, ['generate']);
    assert.deepEqual(await augment(body), a);
    // the bare name, as a job's recipe takes it, is the recipe with its defaults (it ran: attempts)
    const bare = await augment({ inputs: [EN[0]!], recipe: 'paraphrase', seed: 3 });
    assert.ok((bare.stats as { attempts?: number }).attempts! > 0, JSON.stringify(bare.stats));
    assert.deepEqual(bare, await augment({ inputs: [EN[0]!], recipe: { builtin: 'paraphrase' }, seed: 3 }));
  });

  test('backtranslate through the configured en-xx / xx-en pair', async () => {
    const a = await augment({
      inputs: EN,
      recipe: { builtin: 'backtranslate', variants: 2, params: { pivots: ['xx'], temperature: 4, topK: 8 } },
      seed: 3,
    });
    assert.ok(a.examples.length > 0, JSON.stringify(a.stats));
    for (const e of a.examples) {
      assert.deepEqual(e.origin.ops, ['back-translate']);
      assert.ok(!EN.includes(e.text));
    }
  });

  test('a translation direction the config does not name -> 422 naming the key', async () => {
    const res = await post(`${svc.url}/v1/augment`, { inputs: EN, recipe: 'backtranslate', seed: 1 });
    assert.equal(res.status, 422);
    const p = await problemOf(res);
    assert.match(p.detail, /\/recipe: .*augmentModels\.translation\.en-de/);
    assert.deepEqual(
      p.errors?.map((e) => e.pointer),
      ['/recipe'],
    );
  });

  test('adversarial is scored by augmentModels.scorer unless the request names a configured teacher', async () => {
    const calls = async (teacher: string) => {
      const m = (await (await fetch(`${svc.url}/metrics`)).text()).match(
        new RegExp(`distillery_teacher_calls_total\\{teacher="${teacher}",outcome="ok"\\} (\\d+)`),
      );
      return m ? Number(m[1]) : 0;
    };
    const [demo0, tiny0] = [await calls('demo'), await calls('tiny')];
    await augment({ inputs: [EN[0]!], recipe: 'adversarial', seed: 1 });
    assert.ok((await calls('demo')) > demo0, 'the configured scorer ran');
    assert.equal(await calls('tiny'), tiny0);
    await augment({ inputs: [EN[1]!], recipe: 'adversarial', seed: 1, teacher: 'tiny' });
    assert.ok((await calls('tiny')) > tiny0, 'the named teacher ran');
    // a request names teachers, never model paths
    assert.equal(
      (
        await post(`${svc.url}/v1/augment`, {
          inputs: ['a b'],
          recipe: 'adversarial',
          seed: 1,
          teacher: '../models/demo-sentiment',
        })
      ).status,
      422,
    );
    assert.equal(
      (await post(`${svc.url}/v1/augment`, { inputs: ['a b'], recipe: 'tinybert', seed: 1, fillMask: '/tmp/model' }))
        .status,
      422,
    );
  });

  test('the dashboard offers the model-backed recipes the configured models can run', async () => {
    const { recipes } = (await (await fetch(`${svc.url}/v1/recipes`)).json()) as { recipes: string[] };
    assert.ok(recipes.includes('tinybert'), recipes.join());
    // the default back-translation runs en-de / de-en, which this config does not name
    assert.ok(!recipes.includes('backtranslate'), recipes.join());
  });

  test('an HTTP job naming no augmentModels uses the configured ones', async () => {
    const res = await post(`${svc.url}/v1/jobs`, {
      dataset: 'en-tinybert',
      corpus: { path: 'en.jsonl' },
      recipe: { builtin: 'tinybert', variants: 2 },
      seed: 1,
      teachers: ['tiny'],
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    let job: { state: string; result?: { examples: number }; error?: unknown };
    const t0 = Date.now();
    do {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as typeof job;
    } while (['queued', 'running'].includes(job.state) && Date.now() - t0 < 30_000);
    assert.equal(job.state, 'done', JSON.stringify(job));
    assert.ok(job.result!.examples > EN.length, JSON.stringify(job.result));
  });
});

test('without augmentModels in the config, model-backed recipes are 422s naming the key to set', async () => {
  const svc = await startTestService();
  try {
    for (const [recipe, key] of [
      ['tinybert', 'augmentModels.fillMask'],
      ['backtranslate', 'augmentModels.translation.en-de'],
      [{ builtin: 'paraphrase' }, 'augmentModels.generator'],
      ['paraphrase', 'augmentModels.generator'],
    ] as const) {
      const res = await post(`${svc.url}/v1/augment`, { inputs: ['the cat sat on the mat'], recipe, seed: 1 });
      assert.equal(res.status, 422);
      const p = (await problemOf(res)) as { detail: string; hint?: string };
      assert.ok(p.detail.includes(key), p.detail);
      assert.match(p.hint ?? '', /server config/);
    }
    // a job is refused at submission, not after waiting in the queue
    const job = await post(`${svc.url}/v1/jobs`, {
      dataset: 'mlm',
      corpus: { path: 'sst2/dev.jsonl' },
      recipe: 'tinybert',
      teachers: ['tiny'],
    });
    assert.equal(job.status, 422);
    const p = (await problemOf(job)) as { detail: string; hint?: string };
    assert.match(p.detail, /^field \/recipe: recipe tinybert needs a masked-LM model/);
    assert.match(p.hint ?? '', /job's augmentModels, or set it in the server config/);
  } finally {
    await svc.close();
  }
});
