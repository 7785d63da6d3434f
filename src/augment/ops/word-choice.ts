/** Shared "where to edit" helpers for word-level ops: EDA's count rule and eligibility checks. */
import { isStopword } from '../text/stopwords.ts';
import { isPlainPhrase, type TokenizedText } from '../text/tokenized-text.ts';

/** EDA: n = max(1, int(alpha * number of words)). */
export const edaCount = (alpha: number, words: number): number => Math.max(1, Math.floor(alpha * words));

/**
 * Word positions that are not stopwords. Words with an apostrophe ("I'd", "can't", "film's") are left out too:
 * a contraction carries grammar (and often the label), and no synonym of one exists.
 */
export function contentWords(text: TokenizedText, extraStopwords?: ReadonlySet<string>): readonly number[] {
  let words = extraStopwords ? undefined : contentCache.get(text);
  if (!words) {
    words = text.wordIndices.filter((i) => {
      const w = text.tokens[i]!.text;
      return !isStopword(w, extraStopwords) && !w.includes("'") && !w.includes('’');
    });
    if (!extraStopwords) contentCache.set(text, words);
  }
  return words;
}
// A recipe's variants of one example all start from the same text value: its content words are found once.
const contentCache = new WeakMap<TokenizedText, readonly number[]>();

/** Words an op may move or delete: every word except a host of a clitic ("film" in "film 's"). */
export const movableWords = (text: TokenizedText, among: readonly number[] = text.wordIndices): number[] =>
  among.filter((i) => !text.isHost(i));

const plainCache = new WeakMap<readonly string[], readonly string[]>();
/** Synonyms that are words only ("rock 'n' roll" and "st. john's wort" would bring in punctuation). */
export function plainSynonyms(synonyms: readonly string[]): readonly string[] {
  let plain = plainCache.get(synonyms);
  if (!plain) {
    plain = synonyms.every(isPlainPhrase) ? synonyms : synonyms.filter(isPlainPhrase);
    plainCache.set(synonyms, plain);
  }
  return plain;
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
