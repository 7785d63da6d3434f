/**
 * Character noise: keyboard-neighbour typos, adjacent swaps, deletions and insertions, one edit per chosen
 * word and at most `budget` edits per text. The first letter stays (readers and tokenizers lean on it),
 * and an uppercase letter is replaced by an uppercase neighbour.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { isStopword } from '../text/stopwords.ts';
import { checkCount, checkShare, edaCount } from './word-choice.ts';

export type CharEdit = 'keyboard' | 'swap' | 'delete' | 'insert';
export const CHAR_EDITS: readonly CharEdit[] = ['keyboard', 'swap', 'delete', 'insert'];

export interface CharNoiseParams {
  /** share of words edited: n = max(1, floor(alpha * words)), capped by budget */
  alpha: number;
  /** most character edits per text */
  budget: number;
  edits: CharEdit[];
  /** shorter words are left alone */
  minWordLength: number;
}

const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
/** QWERTY neighbours (same row and the rows above/below, offset by half a key). */
export const KEYBOARD_NEIGHBOURS: ReadonlyMap<string, string> = (() => {
  const at = new Map<string, [number, number]>();
  ROWS.forEach((row, r) => [...row].forEach((ch, c) => at.set(ch, [r, c])));
  const out = new Map<string, string>();
  for (const [ch, [r, c]] of at) {
    let near = '';
    for (const [other, [r2, c2]] of at) {
      if (other === ch) continue;
      const shift = r2 - r; // each row down sits half a key right
      if (Math.abs(shift) <= 1 && Math.abs(c2 + shift * 0.5 - c) <= 1) near += other;
    }
    out.set(ch, near);
  }
  return out;
})();

const LATIN_WORD = /^[A-Za-z]+$/;

export class CharNoiseOp extends SyncOp {
  readonly name = 'char-noise';
  readonly params: Readonly<CharNoiseParams>;
  readonly preservesLabel = true;

  constructor(params: Partial<CharNoiseParams> = {}) {
    super();
    const edits = params.edits ?? [...CHAR_EDITS];
    if (edits.length === 0 || edits.some((e) => !CHAR_EDITS.includes(e))) {
      throw new RangeError(
        `Expected \`edits\` to be a non-empty subset of ${CHAR_EDITS.join(', ')}, got ${JSON.stringify(edits)}`,
      );
    }
    this.params = Object.freeze({
      alpha: checkShare('alpha', params.alpha ?? 0.1),
      budget: checkCount('budget', params.budget ?? 3),
      edits,
      minWordLength: checkCount('minWordLength', params.minWordLength ?? 3, 2),
    });
  }

  applyOne(item: OpItem, rng: SeededRng): OpResult {
    const text = item.text;
    if (text.wordCount === 0) return skipped('empty');
    const eligible = text.wordIndices.filter((i) => {
      const w = text.tokens[i]!.text;
      return w.length >= this.params.minWordLength && LATIN_WORD.test(w) && !isStopword(w);
    });
    if (eligible.length === 0) return skipped('no-candidates', 'no Latin-letter content word long enough');
    const n = Math.min(this.params.budget, edaCount(this.params.alpha, text.wordCount));
    let value = text;
    for (const i of rng.shuffle(eligible).slice(0, n)) {
      const noisy = this.#edit(text.tokens[i]!.text, rng);
      if (noisy !== text.tokens[i]!.text) value = value.replace(i, noisy);
    }
    return ok(value, item);
  }

  #edit(word: string, rng: SeededRng): string {
    const kind = rng.pick(this.params.edits);
    const at = 1 + rng.int(word.length - 1); // never the first letter
    const ch = word[at]!;
    switch (kind) {
      case 'keyboard':
        return word.slice(0, at) + neighbour(ch, rng) + word.slice(at + 1);
      case 'insert':
        return word.slice(0, at) + neighbour(ch, rng) + word.slice(at);
      case 'delete':
        return word.slice(0, at) + word.slice(at + 1);
      case 'swap': {
        // swap with the next letter, or the previous one at the end (never the first letter)
        const j = at + 1 < word.length ? at : at - 1;
        // swapping "mm" changes nothing: make it a typo instead, so every chosen word is edited
        if (j < 1 || word[j] === word[j + 1]) return word.slice(0, at) + neighbour(ch, rng) + word.slice(at + 1);
        return word.slice(0, j) + word[j + 1]! + word[j]! + word.slice(j + 2);
      }
    }
  }
}

function neighbour(ch: string, rng: SeededRng): string {
  const lower = ch.toLowerCase();
  const pick = rng.pick([...(KEYBOARD_NEIGHBOURS.get(lower) ?? 'e')]);
  return ch === lower ? pick : pick.toUpperCase();
}
