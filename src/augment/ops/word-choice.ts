/** Shared "where to edit" helpers for word-level ops: EDA's count rule and eligibility checks. */
import { isStopword } from '../text/stopwords.ts';
import type { TokenizedText } from '../text/tokenized-text.ts';

/** EDA: n = max(1, int(alpha * number of words)). */
export const edaCount = (alpha: number, words: number): number => Math.max(1, Math.floor(alpha * words));

/** Word positions that are not stopwords. */
export function contentWords(text: TokenizedText, extraStopwords?: ReadonlySet<string>): number[] {
  return text.wordIndices.filter((i) => !isStopword(text.tokens[i]!.text, extraStopwords));
}

export function checkShare(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0 && value <= 1))
    throw new RangeError(`Expected \`${name}\` to be a number in (0, 1], got ${value}`);
  return value;
}

export function checkCount(name: string, value: number, min = 1): number {
  if (!(Number.isInteger(value) && value >= min))
    throw new RangeError(`Expected \`${name}\` to be an integer >= ${min}, got ${value}`);
  return value;
}
