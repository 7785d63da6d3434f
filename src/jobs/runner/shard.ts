/**
 * Deterministic corpus split for many machines: a record belongs to shard `hash(input) mod n`, so the
 * same input lands on the same machine whatever the file order or chunk size, and every machine's
 * cache serves its own duplicates.
 */
export interface Shard {
  index: number;
  count: number;
}

export function shardOf(inputHash: string, count: number): number {
  // the first 48 bits of a sha256 are uniform enough and stay exact in a double
  return Number.parseInt(inputHash.slice(0, 12), 16) % count;
}

export const inShard = (inputHash: string, shard: Shard | undefined): boolean =>
  shard === undefined || shard.count === 1 || shardOf(inputHash, shard.count) === shard.index;

/** The dataset a shard writes: `<dataset>.shard-<i>-of-<n>`, or the dataset itself when unsharded. */
export const shardDatasetId = (dataset: string, shard: Shard | undefined): string =>
  shard === undefined || shard.count === 1 ? dataset : `${dataset}.shard-${shard.index}-of-${shard.count}`;
