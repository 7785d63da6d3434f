#!/usr/bin/env node
/**
 * Builds WordNet's binary cache (src/augment/lexicon/wordnet-cache.ts) at install time, so the first
 * augmentation run does not pay for parsing the text files. Runs after scripts/build-dist.js.
 */
import { existsSync } from 'node:fs';

const built = new URL('../dist/augment/lexicon/wordnet-cache.js', import.meta.url);
if (!existsSync(built)) {
  console.log('build-wordnet-cache: no dist/ yet, the first run that needs WordNet builds the cache');
} else {
  const { loadCachedWordNet } = await import(built.href);
  const { from, file } = loadCachedWordNet();
  console.log(`build-wordnet-cache: ${from === 'cache' ? 'up to date' : 'written'}: ${file}`);
}
