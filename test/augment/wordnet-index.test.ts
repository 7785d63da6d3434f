import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { WordNetIndex } from '../../src/augment/lexicon/wordnet-index.ts';

const wn = WordNetIndex.load();

// How long the load takes is a benchmark (bench/augment.ts, against reading the same files), not a test.
test('the index loads every part of speech of WordNet 3.1', () => {
  assert.ok(wn.size.n > 80_000 && wn.size.v > 13_000 && wn.size.a > 18_000 && wn.size.r > 3_000);
});

test("synonyms agree with natural's WordNet reader (an independent parser of the same files)", async () => {
  const require = createRequire(import.meta.url);
  const { WordNet } = require('natural/lib/natural/wordnet/index.js') as {
    WordNet: new () => { lookup(w: string, cb: (r: { pos: string; synonyms: string[] }[]) => void): void };
  };
  const reader = new WordNet();
  for (const [word, pos] of [
    ['movie', 'n'],
    ['charming', 'a'],
    ['quickly', 'r'],
    ['run', 'v'],
  ] as const) {
    const senses = await new Promise<{ pos: string; synonyms: string[] }[]>((resolve) => reader.lookup(word, resolve));
    const expected = new Set<string>();
    for (const s of senses) {
      const p = s.pos === 's' ? 'a' : s.pos;
      if (p !== pos) continue;
      // natural keeps WordNet's adjective markers ("wizard(a)"); the index strips them
      for (const raw of s.synonyms) {
        const syn = raw.replace(/\([a-z]+\)$/, '');
        if (syn.toLowerCase() !== word && syn === syn.toLowerCase()) expected.add(syn.replaceAll('_', ' '));
      }
    }
    assert.deepEqual(new Set(wn.synonyms(word, pos)), expected, `${word}/${pos}`);
  }
});

test('multi-word lemmas come with spaces and POS is respected', () => {
  assert.ok(wn.synonyms('movie', 'n').includes('motion picture'));
  assert.deepEqual(wn.synonyms('movie', 'v'), []);
  assert.ok(wn.has('ice cream', 'n'));
  assert.deepEqual(wn.synonyms('qwzxv'), []);
});
