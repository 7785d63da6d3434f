/**
 * An immutable tokenized text that keeps the exact original characters (casing, punctuation,
 * whitespace) and remembers which token positions were edited (TextAttack's AttackedText idea).
 * Every edit returns a new value; positions in `modified` always refer to this value's tokens.
 */
export interface Token {
  /** the token's characters */
  readonly text: string;
  /** whitespace before the token, reproduced verbatim */
  readonly pre: string;
  /**
   * A word an op may touch: letters/digits standing alone in their whitespace-delimited chunk (trailing or
   * leading punctuation allowed: "grey.", "(great)"). Not words: punctuation, symbols, clitics ("'s", "n't"),
   * the fragment a split-off "n't" leaves ("ca", "wo"), and pieces of glued compounds ("U.S.", "3.5", "and/or"),
   * because editing any of those corrupts the text around it.
   */
  readonly word: boolean;
  /**
   * First token of a chunk that belongs to the chunk before it: a split-off clitic or contraction ("it 's",
   * "ca n't", "the '70s"). Nothing may be inserted between the two, and the host is never moved or deleted alone.
   */
  readonly bound: boolean;
}

// Words: letter/digit runs with inner apostrophes or hyphens ("don't", "well-made").
// Everything else that is not whitespace groups into symbol runs (punctuation, emoji, control characters).
// A hand-written scanner: ~1.6x the speed of the equivalent Unicode-property regex on SST-2 (warm runs).
const WORD_CHAR = /[\p{L}\p{M}\p{N}]/u;
const WORD_START = /^[\p{L}\p{N}]/u;
const SPACE = /\s/;
const ENDS_IN_WORD_CHAR = /[\p{L}\p{M}\p{N}]$/u;

/** 0 = whitespace, 1 = word character, 2 = other; ASCII by table, the rest by regex. */
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128).fill(2);
  for (const c of [9, 10, 11, 12, 13, 32]) t[c] = 0;
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  return t;
})();

/** Class of the character at i: 0 = whitespace, 1 = word character, 2 = other (ASCII by table). */
function classAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII_CLASS[c]!;
  const ch = String.fromCodePoint(s.codePointAt(i)!);
  return SPACE.test(ch) ? 0 : WORD_CHAR.test(ch) ? 1 : 2;
}

/** UTF-16 length of the character at i (2 for a surrogate pair). */
const widthAt = (s: string, i: number): number => {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return 1;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
};

const isJoiner = (c: number): boolean => c === 39 /* ' */ || c === 0x2019 /* ’ */ || c === 45; /* - */

// The ASCII cases of classAt, widthAt and WORD_START are inlined below: most texts are mostly ASCII, and a
// short run's code is still interpreted, where every call and regex test counts.
function tokenize(s: string): { tokens: Token[]; trailing: string } {
  const tokens: Token[] = [];
  const n = s.length;
  let i = 0;
  let pre = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const cls = c < 128 ? ASCII_CLASS[c]! : classAt(s, i);
    if (cls === 0) {
      i += c < 128 ? 1 : widthAt(s, i);
      continue;
    }
    const start = i;
    i += c < 128 ? 1 : widthAt(s, i);
    while (i < n) {
      const d = s.charCodeAt(i);
      const c2 = d < 128 ? ASCII_CLASS[d]! : classAt(s, i);
      if (c2 === cls) i += d < 128 ? 1 : widthAt(s, i);
      // an inner joiner followed by a word character continues a word
      else if (cls === 1 && isJoiner(d) && i + 1 < n && classAt(s, i + 1) === 1) i += 1;
      else break;
    }
    const text = s.slice(start, i);
    // an ASCII word character is a letter or a digit: WORD_START holds
    const word = cls === 1 && (c < 128 || WORD_START.test(text));
    tokens.push({ text, pre: s.slice(pre, start), word, bound: false });
    pre = i;
  }
  markChunks(tokens);
  return { tokens, trailing: s.slice(pre) };
}

const APOSTROPHE = /^['’]$/;
const SPLIT_NOT = /^n['’]t$/i;

/**
 * Second pass over whitespace-delimited chunks: keeps `word` only for words that stand alone in their chunk
 * and are not clitics, and marks clitic chunks as bound to their host. Edits in place (tokens are fresh).
 */
function markChunks(tokens: Token[]): void {
  const mut = tokens as { -readonly [K in keyof Token]: Token[K] }[];
  for (let start = 0; start < mut.length;) {
    let end = start + 1;
    while (end < mut.length && mut[end]!.pre === '') end++;
    let words = 0;
    for (let k = start; k < end; k++) if (mut[k]!.word) words++;
    const first = mut[start]!;
    const second = mut[start + 1];
    // "'s", "'re", "'70s": an apostrophe glued to the word after it; "n't": the PTB split of a negation
    const apostropheLed =
      first.text.length === 1 && APOSTROPHE.test(first.text) && second !== undefined && start + 1 < end && second.word;
    const splitNot = first.word && first.text.length === 3 && SPLIT_NOT.test(first.text);
    if (words > 1 || apostropheLed || splitNot) for (let k = start; k < end; k++) mut[k]!.word = false;
    if ((apostropheLed || splitNot) && start > 0) {
      first.bound = true;
      // "ca n't", "wo n't": the host is a fragment of the contraction, not a word of its own
      if (splitNot) mut[start - 1]!.word = false;
    }
    start = end;
  }
}

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

  private constructor(tokens: readonly Token[], trailing: string, modified: readonly number[], edits: number) {
    this.tokens = tokens;
    this.trailing = trailing;
    this.modified = modified;
    this.edits = edits;
  }

  static parse(s: string): TokenizedText {
    const { tokens, trailing } = tokenize(s);
    return new TokenizedText(tokens, trailing, [], 0);
  }

  get text(): string {
    if (this.#text === undefined) {
      let out = '';
      for (const t of this.tokens) out += t.pre + t.text;
      this.#text = out + this.trailing;
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
    return this.wordIndices.length;
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
    const inserted = parsed.map((t, k) => (k === 0 ? { ...t, pre: this.tokens[start]!.pre } : t));
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
    const inserted = parsed.map((t, k) => (k === 0 ? { ...t, pre: leading } : t));
    if (i < tokens.length) tokens[i] = { ...tokens[i]!, pre: ' ' };
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
      tokens[i] = { ...next, pre: gone.pre };
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
    tokens[i] = { ...b, pre: a.pre };
    tokens[j] = { ...a, pre: b.pre };
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

function sorted(s: Set<number>): number[] {
  return [...s].sort((x, y) => x - y);
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
