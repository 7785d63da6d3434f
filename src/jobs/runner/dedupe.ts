/**
 * Drop augmentations whose normalized input equals their original's or an earlier sibling's. Only
 * per-parent duplicates are dropped, so the result never depends on chunk size or sharding; identical
 * inputs across parents stay separate rows and share one cached teacher output instead.
 */
import { opChainKey } from '../../core/op-chain.ts';
import type { Example } from '../../core/types.ts';

export interface DedupeResult {
  examples: Example[];
  dropped: number;
  /** dropped per op chain (src/core/op-chain.ts) */
  droppedByChain: Map<string, number>;
}

/** `examples` holds originals each followed by its augmentations (parentId pointing at it). */
export function dedupeAugmentations(examples: readonly Example[], hashOf: (e: Example) => string): DedupeResult {
  const out: Example[] = [];
  let dropped = 0;
  const droppedByChain = new Map<string, number>();
  let seen = new Set<string>();
  let parent: string | undefined;
  for (const e of examples) {
    if (e.origin.kind === 'original') {
      seen = new Set([hashOf(e)]);
      parent = e.id;
      out.push(e);
      continue;
    }
    if (e.origin.parentId !== parent)
      throw new Error(`augmentation ${e.id} is not next to its parent ${e.origin.parentId}`);
    const h = hashOf(e);
    if (seen.has(h)) {
      dropped++;
      const chain = opChainKey(e.origin.ops);
      droppedByChain.set(chain, (droppedByChain.get(chain) ?? 0) + 1);
      continue;
    }
    seen.add(h);
    out.push(e);
  }
  return { examples: out, dropped, droppedByChain };
}
