import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { sharedWordNet } from '../../src/augment/lexicon/wordnet-index.ts';
import type { OpResult } from '../../src/augment/op.ts';
import { DeleteOp } from '../../src/augment/ops/delete-op.ts';
import { InsertOp } from '../../src/augment/ops/insert-op.ts';
import { SwapOp } from '../../src/augment/ops/swap-op.ts';
import { SynonymOp } from '../../src/augment/ops/synonym-op.ts';
import type { WordNetPos } from '../../src/augment/lexicon/wordnet-index.ts';
import { brillTagger, pennToWordNet } from '../../src/augment/text/pos-tagger.ts';
import { isStopword } from '../../src/augment/text/stopwords.ts';
import { TokenizedText } from '../../src/augment/text/tokenized-text.ts';
import { item, sst2Dev, synonymKind } from './helpers.ts';

const wn = sharedWordNet();
const tagger = brillTagger();
const sentences = sst2Dev(150).map((e) => e.text);
type Ok = Extract<OpResult, { status: 'ok' }>;
let inflected = 0;

function isSynonym(before: string, after: string, tag: string, pos: WordNetPos): boolean {
  const kind = synonymKind(before, after, tag, pos);
  if (kind === 'inflected') inflected++;
  return kind !== false;
}

async function run(op: { apply: SynonymOp['apply'] }, texts: string[], seed = 7): Promise<OpResult[]> {
  return op.apply(
    texts.map((t, i) => item(t, `s${i}`)),
    new SeededRng(seed),
    {},
  );
}

test('POS-aware synonym replacement: WordNet synonym of the tagged POS, stopwords untouched', async () => {
  const results = await run(new SynonymOp({ alpha: 0.3, phrases: false }), sentences);
  let checked = 0;
  results.forEach((r, n) => {
    const original = TokenizedText.parse(sentences[n]!);
    if (r.status !== 'ok') return assert.ok(['no-candidates'].includes(r.reason), r.reason);
    assert.equal(r.value.tokens.length, original.tokens.length, 'single-word synonyms keep positions');
    const tags = tagger.tag(original.tokens.map((t) => t.text));
    for (let i = 0; i < original.tokens.length; i++) {
      const before = original.tokens[i]!.text;
      const after: string = r.value.tokens[i]!.text;
      if (!r.changed.includes(i)) {
        assert.equal(after, before);
        continue;
      }
      checked++;
      assert.ok(!isStopword(before), `stopword "${before}" replaced`);
      const pos = pennToWordNet(tags[i]!);
      assert.ok(pos, `replaced "${before}" has tag ${tags[i]} with no WordNet POS`);
      assert.ok(isSynonym(before, after, tags[i]!, pos), `"${after}" is not a ${pos} synonym of "${before}"`);
    }
    assert.ok(r.changed.length <= Math.max(1, Math.floor(0.3 * original.wordCount)));
  });
  assert.ok(checked > 100, `only ${checked} replacements checked`);
  assert.ok(inflected > 10, `only ${inflected} inflected replacements`);
});

test('inflected words get synonyms in the same inflection', async () => {
  const op = new SynonymOp({ alpha: 1, phrases: false });
  const seen = new Set<string>();
  for (let seed = 0; seed < 30; seed++) {
    const [r] = await run(op, ['The films stunned critics .'], seed);
    if (r!.status === 'ok') seen.add(r!.text);
  }
  const nouns = new Set([...seen].map((t) => t.split(' ')[1]));
  const verbs = new Set([...seen].map((t) => t.split(' ')[2]));
  assert.ok(
    [...nouns].every(
      (w) => ['films', 'movies', 'pictures', 'flicks', 'moving-pictures'].includes(w!) || tagger.knows(w!, 'NNS'),
    ),
    [...nouns].join(),
  );
  assert.ok(nouns.has('movies') || nouns.has('pictures'), [...nouns].join());
  assert.ok(
    [...verbs].every((w) => tagger.knows(w!, 'VBD') || tagger.knows(w!, 'VBN')),
    [...verbs].join(),
  );
  assert.ok(verbs.has('dazed'), [...verbs].join());
});

test('synonym replacement keeps capitalization and can insert multi-word lemmas with spaces', async () => {
  const op = new SynonymOp({ alpha: 1 });
  const text = 'The MOVIE was a Movie about a movie';
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const [r] = await run(op, [text], seed);
    assert.equal(r!.status, 'ok');
    seen.add((r as Ok).text);
  }
  const all = [...seen].join(' | ');
  assert.match(all, /\bThe [A-Z ]+ was a [A-Z][a-z]+(?: [a-z-]+)* about a [a-z]/, 'casing follows each replaced word');
  assert.ok(
    [...seen].some((s) => /motion picture|moving picture|picture show/i.test(s)),
    `no multi-word lemma in ${all}`,
  );
  assert.ok(
    [...seen].every((s) => s.startsWith('The ') && s.includes(' was a ') && s.includes(' about a ')),
    'stopwords stay',
  );
});

test('an op with nothing to do says so instead of copying the input', async () => {
  const results = await run(new SynonymOp(), ['', 'of the and', '🎬🍿', 'Ωραία ταινία']);
  assert.deepEqual(
    results.map((r) => r.status === 'skipped' && r.reason),
    ['empty', 'no-candidates', 'empty', 'no-candidates'],
  );
});

test("insertion adds synonyms of the sentence's own content words, leaving the rest in order", async () => {
  const results = await run(new InsertOp({ alpha: 0.2 }), sentences);
  let checked = 0;
  results.forEach((r, n) => {
    if (r.status !== 'ok') return;
    const original = TokenizedText.parse(sentences[n]!);
    const synonyms = new Set(original.wordIndices.flatMap((i) => wn.synonyms(original.tokens[i]!.text)));
    const kept = r.value.tokens.filter((_, i) => !r.changed.includes(i)).map((t) => t.text);
    assert.deepEqual(
      kept,
      original.tokens.map((t) => t.text),
    );
    const inserted = r.changed.map((i) => r.value.tokens[i]!.text).join(' ');
    assert.ok(
      [...synonyms].some((s) => inserted.includes(s)),
      `"${inserted}" is no synonym of the sentence's words`,
    );
    checked++;
  });
  assert.ok(checked > 100);
});

test('deletion removes content words only and never all words', async () => {
  const results = await run(new DeleteOp({ alpha: 0.5 }), [...sentences, 'great', 'great film']);
  results.forEach((r, n) => {
    const original = TokenizedText.parse(
      n < sentences.length ? sentences[n]! : n === sentences.length ? 'great' : 'great film',
    );
    if (r.status !== 'ok') return assert.ok(['too-short', 'no-change', 'no-candidates'].includes(r.reason), r.reason);
    assert.ok(r.value.wordCount >= 1);
    const left = r.value.tokens.map((t) => t.text);
    let j = 0;
    for (const t of original.tokens) {
      if (left[j] === t.text) j++;
      else assert.ok(t.word && !isStopword(t.text), `"${t.text}" should not be deleted`);
    }
    assert.equal(j, left.length, 'output is a subsequence of the input');
  });
  const single = results[sentences.length]!;
  assert.equal(single.status === 'skipped' && single.reason, 'too-short');
});

test('swap exchanges words only: same tokens, punctuation in place', async () => {
  const results = await run(new SwapOp({ alpha: 0.2 }), sentences);
  let swapped = 0;
  results.forEach((r, n) => {
    const original = TokenizedText.parse(sentences[n]!);
    if (r.status !== 'ok') return;
    swapped++;
    assert.deepEqual(r.value.tokens.map((t) => t.text).sort(), original.tokens.map((t) => t.text).sort());
    original.tokens.forEach((t, i) => {
      if (!t.word) assert.equal(r.value.tokens[i]!.text, t.text);
    });
    assert.ok(r.changed.length <= 2 * Math.max(1, Math.floor(0.2 * original.wordCount)));
  });
  // sentences of two words or more can always swap: a run where every op skips must fail
  assert.ok(swapped >= sentences.length * 0.9, `only ${swapped} of ${sentences.length} sentences swapped`);
});

test('same seed and key give the same output whatever the batch', async () => {
  const op = new SynonymOp({ alpha: 0.2 });
  const all = await run(op, sentences, 3);
  const one = await op.apply([item(sentences[10]!, 's10')], new SeededRng(3), {});
  assert.deepEqual(one[0], all[10]);
});
