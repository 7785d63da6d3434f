/**
 * Synonym replacement from WordNet. POS-aware by default (Brill tags -> WordNet POS), stopwords protected,
 * multi-word lemmas inserted with spaces, the replaced word's capitalization kept. Inflected words (plural
 * nouns, verb forms) get synonyms in the same inflection when the tagger's lexicon attests the form.
 * With `posAware: false` it is EDA's synonym replacement (any POS).
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { PosSynonyms } from '../lexicon/pos-synonyms.ts';
import { sharedWordNet, type WordNetIndex } from '../lexicon/wordnet-index.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { brillTagger, type PosTagger } from '../text/pos-tagger.ts';
import { matchCase } from '../text/tokenized-text.ts';
import { checkShare, contentWords, edaCount, plainSynonyms } from './word-choice.ts';

export interface SynonymParams {
  /** share of words replaced: n = max(1, floor(alpha * words)) */
  alpha: number;
  posAware: boolean;
  /** allow lemmas such as "motion picture" */
  phrases: boolean;
}

export class SynonymOp extends SyncOp {
  readonly name = 'synonym';
  readonly params: Readonly<SynonymParams>;
  readonly preservesLabel = true;
  readonly #wordnet: WordNetIndex;
  readonly #tagger: PosTagger | undefined;
  readonly #posSynonyms: PosSynonyms | undefined;

  constructor(params: Partial<SynonymParams> = {}, deps: { wordnet?: WordNetIndex; tagger?: PosTagger } = {}) {
    super();
    this.params = Object.freeze({
      alpha: checkShare('alpha', params.alpha ?? 0.1),
      posAware: params.posAware ?? true,
      phrases: params.phrases ?? true,
    });
    this.#wordnet = deps.wordnet ?? sharedWordNet();
    this.#tagger = this.params.posAware ? (deps.tagger ?? brillTagger()) : undefined;
    this.#posSynonyms = this.#tagger ? new PosSynonyms(this.#wordnet, this.#tagger) : undefined;
  }

  applyOne(item: OpItem, rng: SeededRng): OpResult {
    const text = item.text;
    if (text.wordCount === 0) return skipped('empty');
    const tags = this.#tagger?.tag(text.tokens.map((t) => t.text));
    const candidates: { index: number; synonyms: readonly string[] }[] = [];
    for (const i of contentWords(text)) {
      const word = text.tokens[i]!.text;
      let synonyms: readonly string[];
      if (tags) synonyms = plainSynonyms(this.#posSynonyms!.lookup(word, tags[i]!));
      else synonyms = plainSynonyms(this.#wordnet.synonyms(word));
      if (!this.params.phrases) synonyms = synonyms.filter((s) => !s.includes(' '));
      if (synonyms.length > 0) candidates.push({ index: i, synonyms });
    }
    if (candidates.length === 0) return skipped('no-candidates');
    const chosen = rng.shuffle(candidates).slice(0, edaCount(this.params.alpha, text.wordCount));
    // Right to left, so a multi-word replacement does not shift positions still to edit.
    chosen.sort((a, b) => b.index - a.index);
    let value = text;
    for (const c of chosen) value = value.replace(c.index, matchCase(text.tokens[c.index]!.text, rng.pick(c.synonyms)));
    return ok(value, item);
  }
}
