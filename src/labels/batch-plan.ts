/**
 * Token-budget batches on estimated lengths: a batch costs its padded size (count x longest). One rule,
 * `fitsTokenBudget`, decides for the gate's planned batches and for the micro-batcher's merged ones.
 */
import type { TextInput } from '../core/types.ts';
import { estimateTokens } from './token-estimate.ts';

/** Whether a batch of `count` texts, the longest `longest` tokens, stays within `budget` padded tokens. */
export function fitsTokenBudget(count: number, longest: number, budget: number): boolean {
  return count * longest <= budget;
}

/** Consecutive batches in input order whose padded size stays within the budget (a lone text always fits). */
export function tokenBudgetBatches<T extends TextInput>(
  inputs: readonly T[],
  budget: number,
  maxLength: number,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let longest = 0;
  for (const input of inputs) {
    const tokens = estimateTokens(input, maxLength);
    if (batch.length > 0 && !fitsTokenBudget(batch.length + 1, Math.max(longest, tokens), budget)) {
      batches.push(batch);
      batch = [];
      longest = 0;
    }
    batch.push(input);
    longest = Math.max(longest, tokens);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Batches for inputs whose order does not matter (results are stored by hash): sorted by estimated
 * length first, so similar lengths share a call and padding stays low. Ties keep input order.
 */
export function planLengthSortedBatches<T extends TextInput>(
  inputs: readonly T[],
  budget: number,
  maxLength: number,
): T[][] {
  const byLength = inputs
    .map((input, i) => ({ input, i, tokens: estimateTokens(input, maxLength) }))
    .sort((a, b) => a.tokens - b.tokens || a.i - b.i)
    .map((x) => x.input);
  return tokenBudgetBatches(byLength, budget, maxLength);
}
