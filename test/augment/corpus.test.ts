import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentCorpus, compileRecipe, decideTeacherFilter, edaSettings } from '../../src/augment/index.ts';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { DistilleryError } from '../../src/core/errors.ts';
import { OneOf, Sometimes } from '../../src/augment/compose.ts';
import { SwapOp } from '../../src/augment/ops/swap-op.ts';
import { CharNoiseOp } from '../../src/augment/ops/char-noise-op.ts';
import { dedupKey } from '../../src/augment/dedup.ts';
import { example, item, sst2Dev } from './helpers.ts';

const corpus = sst2Dev(120);
const mixed = {
  name: 'mixed',
  variants: 3,
  flow: {
    sequence: [
      { oneOf: [{ op: 'synonym', params: { alpha: 0.2 } }, { op: 'insert' }, { op: 'swap' }, { op: 'delete' }] },
      { sometimes: 0.5, do: { op: 'char-noise' } },
    ],
  },
};

test('same corpus + recipe + seed -> identical output across chunk sizes and runs', async () => {
  const recipe = compileRecipe(mixed);
  const a = await augmentCorpus(corpus, recipe, { seed: 42, chunkSize: 1 });
  const b = await augmentCorpus(corpus, recipe, { seed: 42, chunkSize: 7 });
  const c = await augmentCorpus(corpus, compileRecipe(mixed), { seed: 42, chunkSize: 500 });
  assert.ok(a.examples.length > 200);
  assert.equal(JSON.stringify(b), JSON.stringify(a));
  assert.equal(JSON.stringify(c), JSON.stringify(a));
  // and the per-example result does not depend on the rest of the corpus
  const alone = await augmentCorpus([corpus[33]!], recipe, { seed: 42 });
  assert.deepEqual(
    alone.examples,
    a.examples.filter((e) => e.origin.kind === 'augmentation' && e.origin.parentId === corpus[33]!.id),
  );
  // concurrent runs sharing the same recipe objects do not disturb each other
  const [p, q] = await Promise.all([
    augmentCorpus(corpus, recipe, { seed: 42, chunkSize: 3 }),
    augmentCorpus(corpus.slice().reverse(), recipe, { seed: 42, chunkSize: 11 }),
  ]);
  assert.equal(JSON.stringify(p.examples), JSON.stringify(a.examples));
  const byParent = (xs: typeof a.examples) => JSON.stringify([...xs].sort((x, y) => (x.id < y.id ? -1 : 1)));
  assert.equal(byParent(q.examples), byParent(a.examples), 'input order changes the output order only');
  const other = await augmentCorpus(corpus, recipe, { seed: 43 });
  assert.notEqual(JSON.stringify(other.examples), JSON.stringify(a.examples));
});

test('every output carries its provenance and never equals its parent', async () => {
  const { examples, stats } = await augmentCorpus(corpus, compileRecipe(mixed), { seed: 5 });
  const byId = new Map(corpus.map((e) => [e.id, e]));
  for (const e of examples) {
    assert.equal(e.origin.kind, 'augmentation');
    if (e.origin.kind !== 'augmentation') continue;
    const parent = byId.get(e.origin.parentId)!;
    assert.notEqual(dedupKey(e), dedupKey(parent));
    assert.equal(e.origin.seed, '5');
    assert.ok(
      e.origin.ops.length >= 1 &&
        e.origin.ops.every((o) => ['synonym', 'insert', 'swap', 'delete', 'char-noise'].includes(o)),
    );
    assert.equal(e.label, parent.label);
    assert.equal(e.origin.params.recipe, 'mixed');
    // params of exactly the ops that edited it
    assert.deepEqual(Object.keys(e.origin.params.ops as object).sort(), [...new Set(e.origin.ops)].sort());
    if (e.origin.ops.includes('synonym'))
      assert.deepEqual((e.origin.params.ops as Record<string, unknown>).synonym, {
        alpha: 0.2,
        posAware: true,
        phrases: true,
      });
    assert.ok(e.origin.changed.every((i) => Number.isInteger(i) && i >= 0));
  }
  assert.equal(stats.attempts, corpus.length * 3);
  const skipped = Object.values(stats.skipped).reduce((x, y) => x + y!, 0);
  assert.equal(stats.produced + stats.duplicates + skipped, stats.attempts, 'every attempt is accounted for');
  assert.equal(stats.produced, examples.length);
});

test('duplicates of the original or of each other are dropped and counted', async () => {
  // "a b" swapped twice is the original again; "a b" swapped once is "b a" for every variant.
  const recipe = compileRecipe({ name: 'swaps', flow: { op: 'swap', params: { alpha: 0.5 } }, variants: 6 });
  const { examples, stats } = await augmentCorpus([example('p', 'Good  Film'), example('q', 'good film')], recipe, {
    seed: 1,
  });
  assert.deepEqual(
    examples.map((e) => e.text),
    ['Film  Good', 'film good'],
  );
  assert.equal(stats.duplicates, 10);
  assert.equal(stats.byOp.swap!.duplicates, 10);
  assert.deepEqual(stats.byChain, { swap: { produced: 2, duplicates: 10 } });
});

test('bad input gets a per-example status and the rest of the batch is unaffected', async () => {
  const long = Array.from(
    { length: 10_000 },
    (_, i) => ['great', 'film', 'the', 'acting', 'was', 'superb'][i % 6],
  ).join(' ');
  const bad = [
    example('empty', ''),
    example('blank', ' \t\n '),
    example('long', long),
    example('greek', 'Μια υπέροχη ταινία'),
    example('cjk', '这部电影很好看'),
    example('emoji', '🎬🍿👍'),
    example('control', 'good\u0000 film\u0007 \u001b[31m red'),
    { id: 'null-text', text: null as unknown as string, origin: { kind: 'original' } } as const,
  ];
  const good = corpus.slice(0, 20);
  for (const spec of [mixed, 'eda', { flow: { op: 'char-noise' } }, { flow: { op: 'synonym' } }]) {
    const recipe = compileRecipe(spec);
    const alone = await augmentCorpus(good, recipe, { seed: 9 });
    const together = await augmentCorpus([...bad.slice(0, 4), ...good, ...bad.slice(4)], recipe, {
      seed: 9,
      chunkSize: 8,
    });
    const goodIds = new Set(good.map((e) => e.id));
    assert.deepEqual(
      together.examples.filter((e) => e.origin.kind === 'augmentation' && goodIds.has(e.origin.parentId)),
      alone.examples,
    );
    const s = together.stats;
    assert.equal(s.produced + s.duplicates + Object.values(s.skipped).reduce((x, y) => x + y!, 0), s.attempts);
    assert.ok((s.skipped.empty ?? 0) >= 3 * recipe.variants, JSON.stringify(s.skipped));
  }
  const { examples } = await augmentCorpus([example('long', long)], compileRecipe({ flow: { op: 'swap' } }), {
    seed: 1,
  });
  assert.equal(examples.length, 1);
  assert.equal(examples[0]!.text.split(' ').length, 10_000);
});

test('constraints: min words, max words, max change share', async () => {
  const recipe = compileRecipe({
    flow: { op: 'swap', params: { alpha: 1 } },
    variants: 2,
    constraints: { minWords: 4, maxWords: 30, maxChangeShare: 0.5 },
  });
  const texts = [
    example('short', 'two words'),
    example('ok', 'one two three four five six seven eight nine ten'),
    example('long', 'w '.repeat(40)),
  ];
  const { examples, stats } = await augmentCorpus(texts, recipe, { seed: 2 });
  assert.equal(stats.skipped['too-short'], 2);
  assert.equal(stats.skipped['too-long'], 2);
  assert.equal(stats.skipped['max-change-exceeded'], 2, 'alpha = 1 swaps touch more than half of the words');
  assert.equal(examples.length, 0);
  assert.equal(stats.byOp.constraints!.skipped['too-short'], 2);
});

test('EDA recipe follows the paper table by training-set size', () => {
  assert.deepEqual(edaSettings(500), { alpha: 0.05, nAug: 16 });
  assert.deepEqual(edaSettings(1999), { alpha: 0.05, nAug: 16 });
  assert.deepEqual(edaSettings(2000), { alpha: 0.05, nAug: 8 });
  assert.deepEqual(edaSettings(5000), { alpha: 0.1, nAug: 4 });
  assert.deepEqual(edaSettings(1_000_000), { alpha: 0.1, nAug: 4 });
  const r = compileRecipe({ builtin: 'eda', trainingSize: 2000 });
  assert.equal(r.variants, 8);
  assert.equal(r.params.alpha, 0.05);
  assert.equal(compileRecipe({ builtin: 'tinybert' }).variants, 20);
  assert.deepEqual(compileRecipe({ builtin: 'tinybert' }).op.params, { p: 0.4, topK: 15 });
  assert.deepEqual(compileRecipe('backtranslate').op.needs, ['translator']);
  assert.deepEqual(compileRecipe('adversarial').op.needs, ['scorer']);
});

test('bad recipes fail with a clear CONFIG_INVALID', () => {
  const bad: unknown[] = [
    { flow: { op: 'nope' } },
    { flow: { sometimes: 2, do: { op: 'swap' } } },
    { flow: { op: 'swap', params: { alpha: 3 } } },
    { flow: { oneOf: [{ op: 'swap' }], weights: [0] } },
    { flow: { op: 'lexicon' } },
    { builtin: 'eda', params: { alpha: 2 } },
    { builtin: 'tinybert', params: { topK: 0 } },
    'unknown-builtin',
  ];
  for (const spec of bad) {
    assert.throws(
      () => compileRecipe(spec),
      (e: unknown) => e instanceof DistilleryError && e.code === 'CONFIG_INVALID',
      JSON.stringify(spec),
    );
  }
  assert.throws(
    () => compileRecipe({ flow: { op: 'swap', params: { alpha: 3 } } }),
    /Expected `alpha` to be a number in \(0, 1\], got 3/,
  );
});

test('a recipe whose model is missing fails up front with a hint', async () => {
  await assert.rejects(
    augmentCorpus(corpus, compileRecipe('tinybert'), { seed: 1 }),
    (e: unknown) =>
      e instanceof DistilleryError &&
      e.code === 'CONFIG_INVALID' &&
      /fillMasker/.test(e.message) &&
      /TransformersFillMasker/.test(e.hint ?? ''),
  );
  await assert.rejects(
    augmentCorpus(corpus, compileRecipe({ flow: { sometimes: 0.1, do: { op: 'adversarial' } } }), { seed: 1 }),
    /needs a scorer/,
  );
});

test('sometimes(p) and oneOf(weights) draw per item as configured', async () => {
  const items = Array.from({ length: 400 }, (_, i) => item('alpha beta gamma delta epsilon', `i${i}`));
  const some = await new Sometimes(0.25, new SwapOp()).apply(items, new SeededRng(1), {});
  const edited = some.filter((r) => r.status === 'ok' && r.value.edits > 0).length;
  assert.ok(edited > 60 && edited < 140, `${edited} of 400 at p = 0.25`);
  const one = await new OneOf([new SwapOp(), new CharNoiseOp()], [0, 1]).apply(
    items.slice(0, 50),
    new SeededRng(1),
    {},
  );
  assert.ok(one.every((r) => r.status === 'ok' && r.applied?.[0] === 'char-noise'));
});

test('teacher filter: keep, drop or flag by label flip and confidence band', () => {
  const orig = [0.9, 0.1];
  assert.equal(decideTeacherFilter(orig, [0.8, 0.2], { onLabelFlip: 'drop' }).action, 'keep');
  const flip = decideTeacherFilter(orig, [0.3, 0.7], { onLabelFlip: 'flag' });
  assert.deepEqual([flip.action, flip.reasons, flip.augmentedLabel], ['flag', ['label-flip'], 1]);
  assert.equal(
    decideTeacherFilter(orig, [0.55, 0.45], { onLabelFlip: 'keep', confidenceBand: { min: 0.6, max: 1 } }).action,
    'drop',
  );
  assert.equal(
    decideTeacherFilter(orig, [0.55, 0.45], {
      onLabelFlip: 'keep',
      confidenceBand: { min: 0.6, max: 1 },
      outsideBand: 'flag',
    }).action,
    'flag',
  );
  assert.equal(
    decideTeacherFilter(orig, [0.45, 0.55], {
      onLabelFlip: 'drop',
      confidenceBand: { min: 0.6, max: 1 },
      outsideBand: 'flag',
    }).action,
    'drop',
  );
  assert.throws(() => decideTeacherFilter([1], [0.5, 0.5], { onLabelFlip: 'keep' }), RangeError);
});

test('text pairs: the first segment is augmented, the second carried over, dedup sees both', async () => {
  const pair = {
    ...example('pair', 'The company said profits rose sharply this year .'),
    textPair: 'Profits rose sharply , the company said .',
  };
  const { examples } = await augmentCorpus(
    [pair],
    compileRecipe({ flow: { op: 'synonym', params: { alpha: 0.3 } }, variants: 4 }),
    { seed: 4 },
  );
  assert.ok(examples.length >= 2);
  for (const e of examples) {
    assert.equal(e.textPair, pair.textPair);
    assert.notEqual(e.text, pair.text);
  }
  assert.notEqual(dedupKey({ text: 'a', textPair: 'b' }), dedupKey({ text: 'a', textPair: 'c' }));
  assert.equal(dedupKey({ text: ' A  b', textPair: 'C' }), dedupKey({ text: 'a b', textPair: ' c ' }));
});

test('gold labels on augmented rows are as docs/TRAINING.md says: copied for eda, null for tinybert', async () => {
  const { examples } = await augmentCorpus(corpus.slice(0, 20), compileRecipe({ builtin: 'eda' }), { seed: 3 });
  const gold = new Map(corpus.map((e) => [e.id, e.label]));
  assert.ok(examples.length > 20);
  for (const e of examples) if (e.origin.kind === 'augmentation') assert.equal(e.label, gold.get(e.origin.parentId));
  for (const builtin of ['eda', 'backtranslate', 'adversarial'] as const)
    assert.equal(compileRecipe({ builtin }).op.preservesLabel, true, builtin);
  assert.equal(compileRecipe({ builtin: 'tinybert' }).op.preservesLabel, false);
});
