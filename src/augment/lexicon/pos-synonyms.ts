/**
 * "What to put there" for a tagged word: WordNet synonyms of the POS its Penn tag maps to; for an inflected
 * word ("films", "stunned") the synonyms of its lemma in the same inflection, kept only when the tagger's
 * lexicon attests that form with that tag. Shared by the synonym and adversarial ops; cached per (tag, word).
 */
import type { PosTagger } from '../text/pos-tagger.ts';
import { pennToWordNet } from '../text/pos-tagger.ts';
import { inflect, INFLECTED_TAGS, lemmaCandidates } from './inflection.ts';
import type { WordNetIndex } from './wordnet-index.ts';

const NONE: readonly string[] = Object.freeze([]);

export class PosSynonyms {
  readonly #wordnet: WordNetIndex;
  readonly #tagger: PosTagger;
  readonly #inflected = new Map<string, readonly string[]>();

  constructor(wordnet: WordNetIndex, tagger: PosTagger) {
    this.#wordnet = wordnet;
    this.#tagger = tagger;
  }

  /** Synonyms for `word` tagged `tag`; empty for tags with no WordNet POS (names, function words). */
  lookup(word: string, tag: string): readonly string[] {
    const pos = pennToWordNet(tag);
    if (!pos) return NONE;
    if (this.#wordnet.has(word, pos)) return this.#wordnet.synonyms(word, pos);
    if (!INFLECTED_TAGS.has(tag)) return NONE;
    const lower = word.toLowerCase();
    const key = `${tag}:${lower}`;
    const hit = this.#inflected.get(key);
    if (hit) return hit;
    const out = new Set<string>();
    for (const lemma of lemmaCandidates(lower, pos, this.#wordnet)) {
      for (const syn of this.#wordnet.synonyms(lemma, pos)) {
        if (syn.includes(' ')) continue;
        for (const form of inflect(syn, tag)) if (form !== lower && this.#tagger.knows(form, tag)) out.add(form);
      }
    }
    const list = out.size === 0 ? NONE : Object.freeze([...out]);
    this.#inflected.set(key, list);
    return list;
  }
}
