/**
 * EDA random swap: n times, exchange two random words (punctuation stays where it was). A word carrying a
 * clitic ("film 's") stays put: moving it alone would hand the clitic to another word.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { checkShare, edaCount, movableWords } from './word-choice.ts';

export interface SwapParams {
  alpha: number;
}

export class SwapOp extends SyncOp {
  readonly name = 'swap';
  readonly params: Readonly<SwapParams>;
  readonly preservesLabel = true;

  constructor(params: Partial<SwapParams> = {}) {
    super();
    this.params = Object.freeze({ alpha: checkShare('alpha', params.alpha ?? 0.1) });
  }

  applyOne(item: OpItem, rng: SeededRng): OpResult {
    const text = item.text;
    if (text.wordCount === 0) return skipped('empty');
    const words = movableWords(text);
    if (words.length < 2) return skipped('too-short');
    let value = text;
    for (let k = edaCount(this.params.alpha, text.wordCount); k > 0; k--) {
      const a = rng.int(words.length);
      let b = rng.int(words.length - 1);
      if (b >= a) b++;
      value = value.swap(words[a]!, words[b]!);
    }
    return ok(value, item);
  }
}
