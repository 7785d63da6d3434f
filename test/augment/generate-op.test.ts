/**
 * The generate op and the paraphrase recipe with the demo LM writing: every output carries provenance
 * (parent, op chain, params, seed, generator fingerprint) and is the same for any chunk size and on rerun;
 * responses are what the generator writes for the prompt built from the template; bad params and a missing
 * model are refused before anything runs, with the key to set.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { augmentCorpus, compileRecipe } from '../../src/augment/index.ts';
import type { TextGenerator } from '../../src/augment/model-interfaces.ts';
import { PARAPHRASE_TEMPLATE } from '../../src/augment/recipes/paraphrase.ts';
import { DistilleryError } from '../../src/core/errors.ts';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import type { Example } from '../../src/core/types.ts';
import { AugmentModels } from '../../src/jobs/augment-models.ts';
import { CausalGenerator, type Generation } from '../../src/teacher/causal/causal-generator.ts';
import { textGenerator } from '../../src/teacher/causal/text-generator.ts';
import { sst2Dev } from './helpers.ts';

function augmentation(ex: Example): Extract<Example['origin'], { kind: 'augmentation' }> {
  if (ex.origin.kind !== 'augmentation') throw new Error(`${ex.id} is not an augmentation`);
  return ex.origin;
}

const MODELS = path.resolve(import.meta.dirname, '../../models');
const CORPUS = sst2Dev(12);
let causal: CausalGenerator;
let generator: TextGenerator;

before(async () => {
  causal = await CausalGenerator.load({ name: 'demo-lm', dir: path.join(MODELS, 'demo-lm') });
  generator = textGenerator(causal);
});
after(() => causal.dispose());

test('paraphrase: each rewrite keeps its parent, label, op chain, params, seed and the generator fingerprint', async () => {
  const recipe = compileRecipe({ builtin: 'paraphrase', variants: 3 });
  const { examples, stats } = await augmentCorpus(CORPUS, recipe, { seed: 7, context: { generator } });
  assert.ok(examples.length >= CORPUS.length, JSON.stringify(stats));
  for (const ex of examples) {
    const origin = augmentation(ex);
    const parent = CORPUS.find((p) => p.id === origin.parentId)!;
    assert.ok(parent, ex.id);
    assert.match(ex.id, new RegExp(`^${parent.id}~paraphrase-[0-2]$`));
    assert.equal(ex.label, parent.label, 'a paraphrase keeps the gold label');
    assert.deepEqual(origin.ops, ['generate']);
    assert.equal(origin.seed, '7');
    const params = origin.params as {
      recipe: string;
      variant: number;
      ops: { generate: { template: string; temperature: number; keepLabel: boolean } };
      info: { generator: string; finish: string; tokens: number };
    };
    assert.equal(params.recipe, 'paraphrase');
    assert.equal(params.ops.generate.template, PARAPHRASE_TEMPLATE);
    assert.equal(params.ops.generate.temperature, 0.8);
    assert.equal(params.ops.generate.keepLabel, true);
    assert.equal(params.info.generator, causal.fingerprint);
    assert.ok(['eos', 'stop', 'length'].includes(params.info.finish));
    assert.ok(params.info.tokens >= 1);
    assert.notEqual(ex.text, parent.text);
  }
  // the text is what the generator writes for the chat built from the template, on the item's own stream
  const first = examples[0]!;
  const { parentId, params } = augmentation(first);
  const parent = CORPUS.find((p) => p.id === parentId)!;
  const rng = new SeededRng(7).fork('recipe:paraphrase').fork(`${parent.id}#${String(params.variant)}`);
  const content = PARAPHRASE_TEMPLATE.replace('{text}', parent.text);
  const { template: _t, format: _f, keepLabel: _k, ...decoding } = recipe.op.params as Record<string, unknown>;
  const [direct] = await causal.generate([{ input: { messages: [{ role: 'user', content }] }, rng }], decoding);
  assert.equal(first.text, (direct as Generation).text.trim());
});

test('the same seed gives the same rewrites for any chunk size; another seed other ones', async () => {
  const recipe = compileRecipe({ builtin: 'paraphrase', variants: 2, params: { maxNewTokens: 12 } });
  const run = async (seed: number, chunkSize: number) =>
    (await augmentCorpus(CORPUS, recipe, { seed, chunkSize, context: { generator } })).examples;
  const whole = await run(3, 100);
  assert.deepEqual(await run(3, 1), whole);
  assert.deepEqual(await run(3, 5), whole);
  assert.notDeepEqual(
    (await run(4, 100)).map((e) => e.text),
    whole.map((e) => e.text),
  );
});

test('a custom generate flow: greedy variants are one response (the copies are duplicates); no gold label', async () => {
  const recipe = compileRecipe({
    name: 'answers',
    variants: 3,
    flow: { op: 'generate', params: { template: 'Q: {text}\nA:', format: 'plain', temperature: 0, maxNewTokens: 8 } },
  });
  const { examples, stats } = await augmentCorpus(CORPUS, recipe, { seed: 1, context: { generator } });
  const parents = new Set(examples.map((e) => augmentation(e).parentId));
  assert.equal(parents.size, examples.length, 'one response per prompt');
  assert.equal(
    stats.duplicates,
    stats.attempts - stats.produced - Object.values(stats.skipped).reduce((a, b) => a + b!, 0),
  );
  assert.ok(stats.duplicates >= examples.length * 2);
  for (const ex of examples) assert.equal(ex.label, null);
});

test('bad params are refused naming the param; a recipe without its generator says what to set', async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ template: 'no slot here' }, /template/],
    [{ temperature: -1 }, /temperature/],
    [{ topP: 1.5 }, /topP/],
    [{ format: 'json' }, /format/],
    [{ maxNewTokens: 0 }, /maxNewTokens/],
  ];
  for (const [params, field] of bad) {
    assert.throws(
      () => compileRecipe({ flow: { op: 'generate', params } }),
      (err: unknown) => err instanceof DistilleryError && err.code === 'CONFIG_INVALID' && field.test(err.message),
      JSON.stringify(params),
    );
  }
  await assert.rejects(
    augmentCorpus(CORPUS, compileRecipe('paraphrase'), { seed: 1 }),
    (err: unknown) => err instanceof DistilleryError && /needs a generator/.test(err.message),
  );
  const none = new AugmentModels({}, { modelsDir: MODELS });
  assert.throws(
    () => none.check(compileRecipe('paraphrase')),
    (err: unknown) => err instanceof DistilleryError && /augmentModels: \{ generator: demo-lm \}/.test(err.hint ?? ''),
  );
});

test('AugmentModels loads the named causal LM once and hands the op a generator', async () => {
  const models = new AugmentModels({ generator: 'demo-lm' }, { modelsDir: MODELS });
  try {
    const recipe = compileRecipe({ builtin: 'paraphrase', variants: 1, params: { maxNewTokens: 6 } });
    const context = await models.context(recipe);
    assert.equal(context.generator?.fingerprint, causal.fingerprint);
    const viaModels = await augmentCorpus(CORPUS.slice(0, 4), recipe, { seed: 2, context });
    const direct = await augmentCorpus(CORPUS.slice(0, 4), recipe, { seed: 2, context: { generator } });
    assert.deepEqual(viaModels.examples, direct.examples);
  } finally {
    await models.dispose();
  }
});
