/**
 * Plans inference batches: inputs sorted by token length, each batch bounded by a token budget
 * (padded tokens = batch size x longest) and a max batch size. Sorting keeps padding waste low.
 */
export interface BatchLimits {
  /** padded tokens per batch */
  tokenBudget: number;
  maxBatchSize: number;
  /**
   * Largest share of padding a batch may carry before the next (longer) input starts a new batch.
   * On CPU the cost follows padded tokens, so one batch of very mixed lengths costs more than a few
   * tighter ones. 1 disables the check.
   */
  maxPaddingWaste?: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = Object.freeze({
  tokenBudget: 2048,
  maxBatchSize: 64,
  maxPaddingWaste: 0.2,
});

/** Returns batches of input indices; every index appears exactly once. */
export function planBatches(lengths: readonly number[], limits: BatchLimits = DEFAULT_BATCH_LIMITS): number[][] {
  if (!(limits.tokenBudget >= 1) || !(limits.maxBatchSize >= 1)) {
    throw new RangeError(
      `Expected tokenBudget and maxBatchSize >= 1, got ${limits.tokenBudget} and ${limits.maxBatchSize}`,
    );
  }
  // Stable order: by length, then by original index, so plans are deterministic.
  const order = lengths.map((_, i) => i).sort((x, y) => lengths[x]! - lengths[y]! || x - y);
  const batches: number[][] = [];
  const maxWaste = limits.maxPaddingWaste ?? 1;
  let current: number[] = [];
  let longest = 0;
  let real = 0;
  for (const i of order) {
    const len = lengths[i]!;
    const nextLongest = Math.max(longest, len);
    const padded = (current.length + 1) * nextLongest;
    const tooWasteful = padded > 0 && 1 - (real + len) / padded > maxWaste;
    if (current.length > 0 && (padded > limits.tokenBudget || current.length >= limits.maxBatchSize || tooWasteful)) {
      batches.push(current);
      current = [];
      real = 0;
    }
    current.push(i);
    real += len;
    longest = current.length === 1 ? len : nextLongest;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Share of padded positions that carry no real token. */
export function paddingWaste(lengths: readonly number[], batches: readonly number[][]): number {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    const longest = Math.max(...b.map((i) => lengths[i]!));
    padded += longest * b.length;
    for (const i of b) real += lengths[i]!;
  }
  return padded === 0 ? 0 : 1 - real / padded;
}
