/** The runner's augmentation port bound to src/augment, summing the engine's per-op counters. */
import { augmentCorpus, compileRecipe, emptyStats, type AugmentStats, type OpContext, type Recipe } from '../../augment/index.ts';
import type { ChunkAugmenter } from '../../jobs/runner/ports.ts';

export interface CountingAugmenter extends ChunkAugmenter {
  readonly stats: AugmentStats;
}

function addStats(into: AugmentStats, s: AugmentStats): void {
  into.examples += s.examples;
  into.attempts += s.attempts;
  into.produced += s.produced;
  into.duplicates += s.duplicates;
  for (const [k, v] of Object.entries(s.skipped)) into.skipped[k as keyof typeof into.skipped] = (into.skipped[k as keyof typeof into.skipped] ?? 0) + (v ?? 0);
  for (const [op, c] of Object.entries(s.byOp)) {
    const t = (into.byOp[op] ??= { produced: 0, skipped: {}, duplicates: 0 });
    t.produced += c.produced;
    t.duplicates += c.duplicates;
    for (const [k, v] of Object.entries(c.skipped)) t.skipped[k as keyof typeof t.skipped] = (t.skipped[k as keyof typeof t.skipped] ?? 0) + (v ?? 0);
  }
}

/** Every item draws from a stream keyed by the seed, the recipe and its own id, so chunking does not change the output. */
export function recipeAugmenter(recipeSpec: unknown, seed: number | string, context: OpContext = {}): CountingAugmenter {
  const recipe: Recipe = compileRecipe(recipeSpec);
  const stats = emptyStats();
  return {
    stats,
    async augment(originals, signal) {
      const r = await augmentCorpus(originals, recipe, { seed, context: signal ? { ...context, signal } : context });
      addStats(stats, r.stats);
      const skipped = Object.values(r.stats.skipped).reduce((a: number, b) => a + (b ?? 0), 0);
      return { examples: r.examples, skipped };
    },
  };
}

/** Built-in recipes whose ops need no model in the context (what the dashboard can run as is). */
export function modelFreeRecipes(names: readonly string[]): string[] {
  return names.filter((n) => {
    try {
      return compileRecipe(n).op.needs.length === 0;
    } catch {
      return false;
    }
  });
}
