/** Limits every augmented text must meet, checked by the corpus runner around the recipe's ops. */
import type { SkipReason } from './op.ts';
import type { TokenizedText } from './text/tokenized-text.ts';

export interface Constraints {
  /** originals with fewer words are not augmented (reason 'too-short') */
  minWords: number;
  /** originals with more words are not augmented (reason 'too-long'); 0 = no limit */
  maxWords: number;
  /** an output changing a larger share of the original's words is dropped (reason 'max-change-exceeded') */
  maxChangeShare: number;
}

export const DEFAULT_CONSTRAINTS: Readonly<Constraints> = Object.freeze({
  minWords: 1,
  maxWords: 0,
  maxChangeShare: 1,
});

export function checkInput(text: TokenizedText, c: Constraints): SkipReason | undefined {
  if (text.text.trim() === '') return 'empty';
  if (text.wordCount < c.minWords) return text.wordCount === 0 ? 'empty' : 'too-short';
  if (c.maxWords > 0 && text.wordCount > c.maxWords) return 'too-long';
  return undefined;
}

/** Share of the original's words that were touched: edited words, or the length difference if larger. */
export function changeShare(original: TokenizedText, output: TokenizedText): number {
  if (original.wordCount === 0) return 1;
  let editedWords = 0;
  for (const i of output.modified) if (output.tokens[i]?.word) editedWords++;
  return Math.max(editedWords, Math.abs(original.wordCount - output.wordCount)) / original.wordCount;
}
