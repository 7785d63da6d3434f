/** Normalized-duplicate detection: NFC, trim, collapse whitespace, case-insensitive; pairs keep both sides. */
import type { TextInput } from '../core/types.ts';

// ASCII text is already NFC: a regex test costs less than ICU's normalizer.
const NOT_ASCII = /[^\x00-\x7f]/;

// Only a tab, newline, non-breaking space... or two whitespace characters in a row need collapsing; a
// global replace builds a new string even when every run is already one space.
const TO_COLLAPSE = /[^\S ]|\s\s/;

export const normalizeText = (s: string): string => {
  const t = (NOT_ASCII.test(s) ? s.normalize('NFC') : s).trim();
  return (TO_COLLAPSE.test(t) ? t.replace(/\s+/g, ' ') : t).toLowerCase();
};

export const dedupKey = (input: TextInput): string =>
  input.textPair === undefined
    ? normalizeText(input.text)
    : `${normalizeText(input.text)}\u0000${normalizeText(input.textPair)}`;
