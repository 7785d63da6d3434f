/**
 * The content address of a teacher input. Two inputs that differ only in Unicode normal form or
 * whitespace are the same input to the teacher's tokenizer, so they share one hash (and one cache row).
 */
import * as crypto from 'node:crypto';
import type { TextInput } from '../core/types.ts';

/** U+241E SYMBOL FOR RECORD SEPARATOR: joins a pair without colliding with ordinary text. */
export const PAIR_SEPARATOR = '\u241E';

const NON_ASCII = /[^\x00-\x7F]/;
/** whitespace that the collapse below would change: a run of two, or one that is not a plain space */
const WHITESPACE_TO_COLLAPSE = /\s\s|[^\S ]/u;

/** NFC, trimmed, runs of whitespace collapsed to one space. */
export function normalizeText(text: string): string {
  // Fast paths with the same result: NFC leaves ASCII unchanged, and the replace changes nothing without
  // a run or a non-space whitespace. Every soft-label request hashes its texts on the main thread, and
  // normalize() + a unicode replace cost about 5 ms per 256 KB request even when nothing changes.
  const nfc = NON_ASCII.test(text) ? text.normalize('NFC') : text;
  const trimmed = nfc.trim();
  return WHITESPACE_TO_COLLAPSE.test(trimmed) ? trimmed.replace(/\s+/gu, ' ') : trimmed;
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
