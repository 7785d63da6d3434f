/**
 * The content address of a teacher input. Two inputs that differ only in Unicode normal form or
 * whitespace are the same input to the teacher's tokenizer, so they share one hash (and one cache row).
 */
import * as crypto from 'node:crypto';
import type { TextInput } from '../core/types.ts';

/** U+241E SYMBOL FOR RECORD SEPARATOR: joins a pair without colliding with ordinary text. */
export const PAIR_SEPARATOR = '\u241E';

/** NFC, trimmed, runs of whitespace collapsed to one space. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** The exact string that is hashed: `a` or `a + U+241E + b` for a pair. */
export function normalizeInput(input: TextInput): string {
  const a = normalizeText(input.text);
  return input.textPair === undefined ? a : a + PAIR_SEPARATOR + normalizeText(input.textPair);
}

/** sha256 of the normalized input, lowercase hex (64 chars). */
export function inputHash(input: TextInput): string {
  return sha256Hex(normalizeInput(input));
}

// crypto.hash (Node >= 20.12) skips the Hash object: every stored example and cache lookup hashes
const sha256Hex: (s: string) => string =
  typeof crypto.hash === 'function'
    ? (s) => crypto.hash('sha256', s, 'hex')
    : (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
