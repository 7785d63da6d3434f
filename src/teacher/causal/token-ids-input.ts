/**
 * Rows given as token ids (the TRL teacher-server contract, or `{tokenIds}` over HTTP): no tokenizer,
 * the caller says where the prompt ends. Tokens from `promptLength` on are targets, so position t - 1
 * is scored for each of them; the first token has no position before it and is never a target.
 */
import { type EncodedSequence, SequenceInputError } from './sequence-input.ts';

export interface TokenIdsLimits {
  vocabSize: number;
  maxLength: number;
}

/**
 * `field` names the row in errors (`tokenIds`, `sequences[3]`). A row with no target (promptLength at
 * its end, or a single token) is valid: it has no scored positions and needs no model call.
 */
export function encodeTokenIds(
  ids: readonly number[],
  promptLength: number,
  limits: TokenIdsLimits,
  field: string,
): EncodedSequence | SequenceInputError {
  if (ids.length === 0) return new SequenceInputError(field, 'the sequence is empty');
  if (ids.length > limits.maxLength) {
    return new SequenceInputError(
      field,
      `${ids.length} tokens exceed the teacher's context of ${limits.maxLength}; truncate the sequence`,
    );
  }
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= limits.vocabSize);
  if (bad >= 0) {
    return new SequenceInputError(
      `${field}[${bad}]`,
      `token id ${ids[bad]} is outside the vocabulary (0 to ${limits.vocabSize - 1})`,
    );
  }
  if (!Number.isInteger(promptLength) || promptLength < 0 || promptLength > ids.length) {
    return new SequenceInputError(field, `promptLength ${promptLength} must be an integer from 0 to ${ids.length}`);
  }
  const targets = new Uint8Array(ids.length);
  targets.fill(1, Math.max(1, promptLength));
  return { ids: [...ids], targets, truncated: false };
}
