/**
 * An immutable tokenized text that keeps the exact original characters (casing, punctuation,
 * whitespace) and remembers which token positions were edited (TextAttack's AttackedText idea).
 * Every edit returns a new value; positions in `modified` always refer to this value's tokens.
 */
import { tokenize, type Token } from './tokenize.ts';

export type { Token } from './tokenize.ts';

const ENDS_IN_WORD_CHAR = /[\p{L}\p{M}\p{N}]$/u;

export class TokenizedText {
  readonly tokens: readonly Token[];
  /** whitespace after the last token */
  readonly trailing: string;
  /** sorted token positions changed relative to the original */
  readonly modified: readonly number[];
  /** how many edits produced this value (a deletion changes no surviving position but counts here) */
  readonly edits: number;
  #text: string | undefined;
  #wordIndices: number[] | undefined;
  #wordCount: number | undefined;

  private constructor(tokens: readonly Token[], trailing: string, modified: readonly number[], edits: number) {
    this.tokens = tokens;
    this.trailing = trailing;
    this.modified = modified;
    this.edits = edits;
  }

  static parse(s: string): TokenizedText {
    const { tokens, trailing } = tokenize(s);
    const parsed = new TokenizedText(tokens, trailing, [], 0);
    // The tokens and their whitespace cover every character of `s` in order: joined, they are `s` itself.
    parsed.#text = s;
    return parsed;
  }

  get text(): string {
    if (this.#text === undefined) {
      // One join builds the flat string; `+=` would build a rope of two cons cells per token first.
      const tokens = this.tokens;
      const parts = new Array<string>(tokens.length * 2 + 1);
      for (let i = 0; i < tokens.length; i++) {
        parts[2 * i] = tokens[i]!.pre;
        parts[2 * i + 1] = tokens[i]!.text;
      }
      parts[tokens.length * 2] = this.trailing;
      this.#text = parts.join('');
    }
    return this.#text;
  }

  /** Token positions that are words, in order. */
  get wordIndices(): readonly number[] {
    if (this.#wordIndices === undefined) {
      this.#wordIndices = [];
      for (let i = 0; i < this.tokens.length; i++) if (this.tokens[i]!.word) this.#wordIndices.push(i);
    }
    return this.#wordIndices;
  }

  get wordCount(): number {
    if (this.#wordCount === undefined) {
      let n = 0;
      for (let i = 0; i < this.tokens.length; i++) if (this.tokens[i]!.word) n++;
      this.#wordCount = n;
    }
    return this.#wordCount;
  }

  /** Whether token i's chunk carries a clitic ("film 's", "jr. 's"): it must not be moved or deleted alone. */
  isHost(i: number): boolean {
    let j = i + 1;
    while (j < this.tokens.length && this.tokens[j]!.pre === '') j++;
    return this.tokens[j]?.bound === true;
  }

  /**
   * Positions where `insert` may put a word: the start of every chunk that holds a word, and the end of the
   * text after the last word when nothing is glued to that word ("great film" but not "great film.").
   * Never inside a chunk ("grey." stays "grey.") nor between a host and its clitic ("it 's").
   */
  get insertSlots(): number[] {
    const slots: number[] = [];
    const tokens = this.tokens;
    let chunkStart = 0;
    let lastWord = -1;
    for (let i = 0; i < tokens.length; i++) {
      if (i > 0 && tokens[i]!.pre !== '') chunkStart = i;
      if (!tokens[i]!.word) continue;
      if (slots[slots.length - 1] !== chunkStart && !tokens[chunkStart]!.bound) slots.push(chunkStart);
      lastWord = i;
    }
    const after = tokens[lastWord + 1];
    if (lastWord >= 0 && (after === undefined || (after.pre !== '' && !after.bound))) slots.push(lastWord + 1);
    return slots;
  }

  /** Replace token i by `replacement`, which may hold several tokens ("ice cream"). */
  replace(i: number, replacement: string): TokenizedText {
    return this.replaceSpan(i, i + 1, replacement);
  }

  /** Replace tokens [start, end) by the tokens of `replacement`; the span's leading whitespace is kept. */
  replaceSpan(start: number, end: number, replacement: string): TokenizedText {
    this.#check(start);
    if (end <= start || end > this.tokens.length) throw new RangeError(`Bad span [${start}, ${end})`);
    const parsed = TokenizedText.parse(replacement.trim()).tokens;
    if (parsed.length === 0) throw new RangeError('Replacement has no tokens');
    const inserted = parsed.map((t, k) => (k === 0 ? withPre(t, this.tokens[start]!.pre) : t));
    const tokens = [...this.tokens.slice(0, start), ...inserted, ...this.tokens.slice(end)];
    const shift = inserted.length - (end - start);
    const modified = new Set<number>();
    for (const m of this.modified) {
      if (m < start) modified.add(m);
      else if (m >= end) modified.add(m + shift);
    }
    for (let k = 0; k < inserted.length; k++) modified.add(start + k);
    return new TokenizedText(tokens, this.trailing, sorted(modified), this.edits + 1);
  }

  /** Insert one word (or phrase) before token i (i = tokens.length appends); i must start a chunk. */
  insert(i: number, words: string): TokenizedText {
    if (i < 0 || i > this.tokens.length) throw new RangeError(`Bad insert position ${i}`);
    const at = this.tokens[i];
    // Inserting inside a chunk would glue the new word onto its neighbours ("greygray-headed .")
    if (at && ((i > 0 && at.pre === '') || at.bound))
      throw new RangeError(`Insert position ${i} is inside "${at.text}"'s chunk; use a position from insertSlots`);
    const parsed = TokenizedText.parse(words.trim()).tokens;
    if (parsed.length === 0) throw new RangeError('Inserted text has no tokens');
    const tokens = this.tokens.slice();
    // The inserted words take the slot's leading whitespace; what followed gets one space.
    const leading = i < tokens.length ? tokens[i]!.pre : tokens.length > 0 ? ' ' : '';
    const inserted = parsed.map((t, k) => (k === 0 ? withPre(t, leading) : t));
    if (i < tokens.length) tokens[i] = withPre(tokens[i]!, ' ');
    tokens.splice(i, 0, ...inserted);
    const n = inserted.length;
    const modified = new Set<number>(this.modified.map((m) => (m >= i ? m + n : m)));
    for (let k = 0; k < n; k++) modified.add(i + k);
    return new TokenizedText(tokens, this.trailing, sorted(modified), this.edits + 1);
  }

  /**
   * Delete token i. Punctuation glued to the deleted word stays glued, to the word before ("is grey." ->
   * "is."); it takes the deleted word's whitespace instead when gluing would merge it into other punctuation
   * (", mr. x" -> ", . x", not ",. x") or when it becomes the first token.
   */
  remove(i: number): TokenizedText {
    this.#check(i);
    const tokens = this.tokens.slice();
    const gone = tokens[i]!;
    tokens.splice(i, 1);
    const next = tokens[i];
    if (next && (i === 0 || (next.pre === '' && !ENDS_IN_WORD_CHAR.test(tokens[i - 1]!.text))))
      tokens[i] = withPre(next, gone.pre);
    const modified: number[] = [];
    for (const m of this.modified) if (m !== i) modified.push(m > i ? m - 1 : m);
    return new TokenizedText(tokens, this.trailing, modified, this.edits + 1);
  }

  /** Exchange tokens i and j; whitespace stays in place. */
  swap(i: number, j: number): TokenizedText {
    this.#check(i);
    this.#check(j);
    if (i === j) return this;
    const tokens = this.tokens.slice();
    const a = tokens[i]!,
      b = tokens[j]!;
    tokens[i] = withPre(b, a.pre);
    tokens[j] = withPre(a, b.pre);
    const modified = new Set(this.modified);
    modified.add(i);
    modified.add(j);
    return new TokenizedText(tokens, this.trailing, sorted(modified), this.edits + 1);
  }

  /**
   * A whole new text (a translation, a model rewrite) as an edit of this one: output tokens not on a
   * longest common subsequence with this text's tokens (case-insensitive) count as modified.
   */
  rewrite(after: string): TokenizedText {
    const next = TokenizedText.parse(after);
    const a = this.tokens.map((t) => t.text.toLowerCase());
    const b = next.tokens.map((t) => t.text.toLowerCase());
    const kept = new Set<number>();
    // Quadratic table; very long rewrites are simply all-modified rather than slow.
    if (a.length * b.length <= 4_000_000) {
      const w = b.length + 1;
      const dp = new Uint16Array((a.length + 1) * w);
      for (let i = a.length - 1; i >= 0; i--) {
        for (let j = b.length - 1; j >= 0; j--) {
          dp[i * w + j] =
            a[i] === b[j] ? dp[(i + 1) * w + j + 1]! + 1 : Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
        }
      }
      for (let i = 0, j = 0; i < a.length && j < b.length;) {
        if (a[i] === b[j]) {
          kept.add(j);
          i++;
          j++;
        } else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) i++;
        else j++;
      }
    }
    const modified: number[] = [];
    for (let j = 0; j < b.length; j++) if (!kept.has(j)) modified.push(j);
    const edits = after === this.text ? 0 : Math.max(1, modified.length);
    return new TokenizedText(next.tokens, next.trailing, modified, this.edits + edits);
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.tokens.length)
      throw new RangeError(`Token index ${i} out of range 0..${this.tokens.length - 1}`);
  }
}

/**
 * Whether `s` can go into a text as new words: only words, separated by spaces ("motion picture", "gray-headed"),
 * so an insertion or replacement brings no punctuation or clitic ("rock 'n' roll", "st. john's wort").
 */
export function isPlainPhrase(s: string): boolean {
  if (PLAIN_ASCII.test(s)) return true;
  const { tokens } = tokenize(s.trim());
  return tokens.length > 0 && tokens.every((t) => t.word && !t.text.includes("'") && !t.text.includes('’'));
}

/** ASCII words (inner hyphens allowed) separated by single spaces: plain by the rule above, without tokenizing. */
const PLAIN_ASCII = /^[a-z0-9]+(?:-[a-z0-9]+)*(?: [a-z0-9]+(?:-[a-z0-9]+)*)*$/i;

/**
 * `t` with other whitespace before it, built with the tokenizer's property order so that every token shares one
 * hidden class (a spread copy gets another, and the loops over tokens then run polymorphic).
 */
const withPre = (t: Token, pre: string): Token => ({ text: t.text, pre, word: t.word, bound: t.bound });

/** The set's positions in increasing order; an insertion sort, as the sets hold a handful of positions. */
function sorted(s: Set<number>): number[] {
  const out = [...s];
  for (let i = 1; i < out.length; i++) {
    const x = out[i]!;
    let j = i - 1;
    for (; j >= 0 && out[j]! > x; j--) out[j + 1] = out[j]!;
    out[j + 1] = x;
  }
  return out;
}

/** Render `replacement` in the casing of `original`: "Good" -> "Fine", "GOOD" -> "FINE", "good" -> "fine". */
export function matchCase(original: string, replacement: string): string {
  const letters = original.replace(/[^\p{L}]/gu, '');
  if (letters.length === 0) return replacement;
  if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase())
    return replacement.toUpperCase();
  const first = letters[0]!;
  if (first !== first.toLowerCase() && first === first.toUpperCase())
    return replacement.charAt(0).toUpperCase() + replacement.slice(1);
  return replacement;
}
