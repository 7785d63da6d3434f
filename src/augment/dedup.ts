/** Normalized-duplicate detection: NFC, trim, collapse whitespace, case-insensitive; pairs keep both sides. */
import type { TextInput } from '../core/types.ts';

// ASCII text is already NFC: a regex test costs less than ICU's normalizer.
const NOT_ASCII = /[^\x00-\x7f]/;

export const normalizeText = (s: string): string =>
  (NOT_ASCII.test(s) ? s.normalize('NFC') : s).trim().replace(/\s+/g, ' ').toLowerCase();

export const dedupKey = (input: TextInput): string =>
  input.textPair === undefined
    ? normalizeText(input.text)
    : `${normalizeText(input.text)}\u0000${normalizeText(input.textPair)}`;
