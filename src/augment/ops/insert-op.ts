/** EDA random insertion: n times, insert a synonym of a random content word at a random word position. */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { sharedWordNet, type WordNetIndex } from '../lexicon/wordnet-index.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { checkShare, contentWords, edaCount, plainSynonyms } from './word-choice.ts';

export interface InsertParams {
  alpha: number;
}

export class InsertOp extends SyncOp {
  readonly name = 'insert';
  readonly params: Readonly<InsertParams>;
  readonly preservesLabel = true;
  readonly #wordnet: WordNetIndex;

  constructor(params: Partial<InsertParams> = {}, deps: { wordnet?: WordNetIndex } = {}) {
    super();
    this.params = Object.freeze({ alpha: checkShare('alpha', params.alpha ?? 0.1) });
    this.#wordnet = deps.wordnet ?? sharedWordNet();
  }

  applyOne(item: OpItem, rng: SeededRng): OpResult {
    const text = item.text;
    if (text.wordCount === 0) return skipped('empty');
    const synonymsOf = (i: number) => plainSynonyms(this.#wordnet.synonyms(text.tokens[i]!.text));
    const sources = contentWords(text).filter((i) => synonymsOf(i).length > 0);
    if (sources.length === 0) return skipped('no-candidates');
    let value = text;
    for (let k = edaCount(this.params.alpha, text.wordCount); k > 0; k--) {
      const synonym = rng.pick(synonymsOf(rng.pick(sources)));
      // between chunks only: before a word's chunk or after the last word, never inside "grey." or "it 's"
      value = value.insert(rng.pick(value.insertSlots), synonym);
    }
    return ok(value, item);
  }
}
