/** EDA random insertion: n times, insert a synonym of a random content word at a random word position. */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { sharedWordNet, type WordNetIndex } from '../lexicon/wordnet-index.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { checkShare, contentWords, edaCount } from './word-choice.ts';

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
    const sources = contentWords(text).filter((i) => this.#wordnet.synonyms(text.tokens[i]!.text).length > 0);
    if (sources.length === 0) return skipped('no-candidates');
    let value = text;
    for (let k = edaCount(this.params.alpha, text.wordCount); k > 0; k--) {
      const synonym = rng.pick(this.#wordnet.synonyms(text.tokens[rng.pick(sources)]!.text));
      // before any word of the current text, or at its end (before trailing punctuation)
      const slots = [...value.wordIndices, lastWordEnd(value)];
      value = value.insert(rng.pick(slots), synonym);
    }
    return ok(value, item);
  }
}

function lastWordEnd(value: { wordIndices: readonly number[] }): number {
  const words = value.wordIndices;
  return words[words.length - 1]! + 1;
}
