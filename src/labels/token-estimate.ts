/**
 * The one token estimate used to plan batches before tokenizing (the gate, the HTTP micro-batcher,
 * evaluation). The teacher truncates at maxLength and plans its own calls on real token counts.
 */
import type { TextInput } from '../core/types.ts';

/** Rough WordPiece count without a tokenizer: about 4 characters per token plus [CLS]/[SEP]. */
export function estimateTokens(input: TextInput, maxLength: number): number {
  const chars = input.text.length + (input.textPair?.length ?? 0);
  return Math.min(maxLength, Math.ceil(chars / 4) + (input.textPair === undefined ? 2 : 3));
}
