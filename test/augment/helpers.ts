import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Example } from '../../src/core/types.ts';
import type { OpItem } from '../../src/augment/op.ts';
import { TokenizedText } from '../../src/augment/text/tokenized-text.ts';
import { lemmaCandidates } from '../../src/augment/lexicon/inflection.ts';
import { sharedWordNet, type WordNetPos } from '../../src/augment/lexicon/wordnet-index.ts';
import { brillTagger } from '../../src/augment/text/pos-tagger.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const sharedDir = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(repoRoot, '../shared');

/** SST-2 dev sentences (public corpus beside the repo). */
export function sst2Dev(limit = Infinity): Example[] {
  const lines = readFileSync(path.join(sharedDir, 'data/corpora/sst2/dev.jsonl'), 'utf8').trim().split('\n');
  return lines.slice(0, limit).map((l, i) => {
    const row = JSON.parse(l) as { text: string; label: number };
    return { id: `sst2-dev-${i}`, text: row.text, label: row.label, origin: { kind: 'original' } };
  });
}

export const item = (text: string, key = 'k'): OpItem => ({ key, text: TokenizedText.parse(text) });
export const example = (id: string, text: string, label: number | null = null): Example => ({
  id,
  text,
  label,
  origin: { kind: 'original' },
});

/**
 * Independent check of a replacement: `after` is a WordNet synonym of `before` with POS `pos`, or, for an
 * inflected word, an attested form (tagger lexicon, same tag) of a synonym of one of its lemmas.
 * Returns 'lemma' | 'inflected' | false.
 */
export function synonymKind(
  before: string,
  after: string,
  tag: string,
  pos: WordNetPos,
): 'lemma' | 'inflected' | false {
  const wn = sharedWordNet();
  const a = after.toLowerCase();
  if (wn.synonyms(before, pos).includes(a)) return 'lemma';
  if (!brillTagger().knows(a, tag)) return false;
  const ok = lemmaCandidates(before, pos, wn).some((l) =>
    lemmaCandidates(a, pos, wn).some((m) => wn.synonyms(l, pos).includes(m)),
  );
  return ok ? 'inflected' : false;
}
