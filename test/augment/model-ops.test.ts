/**
 * Model-backed ops against real models: the tiny Marian pair (back-translation), the tiny BERT masked LM
 * (TinyBERT replacement) and the demo-sentiment teacher through the teacher engine (adversarial).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { augmentCorpus, compileRecipe } from '../../src/augment/index.ts';
import type { Scorer } from '../../src/augment/model-interfaces.ts';
import { brillTagger, pennToWordNet } from '../../src/augment/text/pos-tagger.ts';
import { isStopword } from '../../src/augment/text/stopwords.ts';
import { TokenizedText } from '../../src/augment/text/tokenized-text.ts';
import { argmax } from '../../src/core/soft-labels.ts';
import type { Example, TextInput } from '../../src/core/types.ts';
import { cipherLexicon } from '../../src/fixtures/marian/cipher-lexicon.ts';
import { TransformersFillMasker } from '../../src/teacher/fill-masker.ts';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';
import { teacherScorer } from '../../src/teacher/teacher-scorer.ts';
import { TransformersTranslator } from '../../src/teacher/translator.ts';
import { example, sst2Dev, synonymKind } from './helpers.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
let translator: TransformersTranslator;
let masker: TransformersFillMasker;
let teacher: OnnxTeacher;

before(async () => {
  translator = new TransformersTranslator({
    models: { 'en-xx': 'tiny-marian-en-xx', 'xx-en': 'tiny-marian-xx-en' },
    modelsDir: MODELS,
    maxBatchSize: 8,
  });
  masker = await TransformersFillMasker.load(path.join(MODELS, 'tiny-bert-mlm'), { maxBatchSize: 16 });
  teacher = await OnnxTeacher.load({ name: 'demo-sentiment', dir: path.join(MODELS, 'demo-sentiment') });
});
after(async () => {
  await translator.dispose();
  await masker.dispose();
  await teacher.dispose();
});

const EN = [
  'The cat sat on the table.',
  'Why did the old man walk to the river in the morning?',
  'We find a way home together, because we never stop to look at the light.',
  'My mother and father love music.',
  'The children play in the snow.',
  'A little bird can fly over the big tree.',
].map((t, i) => example(`en${i}`, t));

const backtranslate = (temperature: number, variants = 3) =>
  compileRecipe({ builtin: 'backtranslate', variants, params: { pivots: ['xx'], temperature, topK: 8 } });

test('back-translation: greedy round trip of the cipher pair is the input again, so it is dropped as a duplicate', async () => {
  const { examples, stats } = await augmentCorpus(EN, backtranslate(0, 1), { seed: 1, context: { translator } });
  assert.equal(examples.length, 0);
  assert.equal(stats.duplicates, EN.length, JSON.stringify(stats));
});

test('back-translation: sampled outputs are deterministic, batch-independent, varied, and real model vocabulary', async () => {
  const recipe = backtranslate(4);
  const a = await augmentCorpus(EN, recipe, { seed: 7, context: { translator }, chunkSize: 64 });
  const b = await augmentCorpus(EN, recipe, { seed: 7, context: { translator }, chunkSize: 1 });
  assert.deepEqual(b.examples, a.examples);
  assert.ok(a.examples.length >= EN.length, `only ${a.examples.length} outputs: ${JSON.stringify(a.stats)}`);
  const c = await augmentCorpus(EN, recipe, { seed: 8, context: { translator } });
  assert.notDeepEqual(
    c.examples.map((e) => e.text),
    a.examples.map((e) => e.text),
  );
  // the pair shares one vocabulary: hot sampling may emit an xx word, but only the model's own words
  const lexicon = cipherLexicon();
  const english = new Set(lexicon.enWords);
  const vocab = new Set([...lexicon.enWords, ...lexicon.xxWords]);
  let en = 0;
  let all = 0;
  for (const e of a.examples) {
    for (const w of e.text.match(/[a-z]+/g) ?? []) {
      assert.ok(vocab.has(w), `"${w}" is not in the model's vocabulary`);
      all++;
      if (english.has(w)) en++;
    }
    assert.equal(e.origin.kind === 'augmentation' && e.origin.ops.join(), 'back-translate');
  }
  assert.ok(en / all > 0.7, `only ${en} of ${all} words are English`);
  // several distinct outputs for one sentence
  const perParent = new Map<string, number>();
  for (const e of a.examples)
    if (e.origin.kind === 'augmentation') perParent.set(e.origin.parentId, (perParent.get(e.origin.parentId) ?? 0) + 1);
  assert.ok([...perParent.values()].some((n) => n >= 2));
});

test("masked LM: each replacement is one of the model's top-K fills for that word in the original context", async () => {
  const corpus = sst2Dev(30);
  const recipe = compileRecipe({ builtin: 'tinybert', variants: 3, params: { topK: 5 } });
  const { examples, stats } = await augmentCorpus(corpus, recipe, { seed: 3, context: { fillMasker: masker } });
  assert.ok(examples.length > 20, JSON.stringify(stats));
  const again = await augmentCorpus(corpus, recipe, { seed: 3, context: { fillMasker: masker }, chunkSize: 4 });
  assert.deepEqual(again.examples, examples);
  let checked = 0;
  for (const e of examples.slice(0, 15)) {
    if (e.origin.kind !== 'augmentation') continue;
    const parentId = e.origin.parentId;
    const parent = TokenizedText.parse(corpus.find((p) => p.id === parentId)!.text);
    const out = TokenizedText.parse(e.text);
    assert.equal(out.tokens.length, parent.tokens.length);
    for (const i of e.origin.changed) {
      assert.ok(!isStopword(parent.tokens[i]!.text));
      const [fills] = await masker.fill([parent.replace(i, masker.maskToken).text], 5);
      assert.ok(
        fills!.some((f) => f.token === out.tokens[i]!.text.toLowerCase()),
        `${out.tokens[i]!.text} not in ${JSON.stringify(fills)}`,
      );
      checked++;
    }
  }
  assert.ok(checked > 10);
  assert.equal(examples[0]!.label, null, 'masked-LM outputs are not assumed to keep the label');
});

test("adversarial: lowers the real teacher's confidence with POS-consistent synonyms, records flips, batches calls", async () => {
  const calls: number[] = [];
  const base = teacherScorer(teacher);
  const scorer: Scorer = { score: (inputs: TextInput[]) => (calls.push(inputs.length), base.score(inputs)) };
  const corpus: Example[] = sst2Dev(40);
  const { examples, stats } = await augmentCorpus(corpus, compileRecipe('adversarial'), {
    seed: 1,
    context: { scorer },
  });
  assert.ok(examples.length > 10, JSON.stringify(stats));
  const tagger = brillTagger();
  const originals = await base.score(
    examples.map((e) => ({
      text: corpus.find((p) => e.origin.kind === 'augmentation' && p.id === e.origin.parentId)!.text,
    })),
  );
  const attacked = await base.score(examples.map((e) => ({ text: e.text })));
  let flips = 0;
  examples.forEach((e, k) => {
    if (e.origin.kind !== 'augmentation') return;
    const info = (e.origin.params.info ?? {}) as { flipped: boolean; label: number };
    const y = argmax(originals[k]!);
    assert.equal(info.label, y);
    assert.ok(attacked[k]![y]! < originals[k]![y]!, 'confidence in the original label went down');
    assert.equal(info.flipped, argmax(attacked[k]!) !== y);
    if (info.flipped) flips++;
    const parentId = e.origin.parentId;
    const parent = TokenizedText.parse(corpus.find((p) => p.id === parentId)!.text);
    const out = TokenizedText.parse(e.text);
    const tags = tagger.tag(parent.tokens.map((t) => t.text));
    assert.ok(e.origin.changed.length <= Math.max(1, Math.floor(0.2 * parent.wordCount)));
    for (const i of e.origin.changed) {
      const pos = pennToWordNet(tags[i]!)!;
      assert.ok(
        synonymKind(parent.tokens[i]!.text, out.tokens[i]!.text, tags[i]!, pos),
        `${parent.tokens[i]!.text} -> ${out.tokens[i]!.text}`,
      );
    }
  });
  assert.ok(flips >= 1, 'some sentence flips the teacher');
  // one call for originals, one for all deletions, then one per greedy round (budget <= 20% of words)
  const longest = Math.max(...corpus.map((e) => TokenizedText.parse(e.text).wordCount));
  assert.ok(calls.length <= 2 + Math.floor(0.2 * longest), `${calls.length} scorer calls`);
  assert.ok(calls[1]! > corpus.length, 'all deletions of the batch went in one call');
});
