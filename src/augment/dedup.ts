/** Normalized-duplicate detection: NFC, trim, collapse whitespace, case-insensitive; pairs keep both sides. */
import type { TextInput } from '../core/types.ts';

export const normalizeText = (s: string): string => s.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();

export const dedupKey = (input: TextInput): string =>
  input.textPair === undefined
    ? normalizeText(input.text)
    : `${normalizeText(input.text)}\u0000${normalizeText(input.textPair)}`;
