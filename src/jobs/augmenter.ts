/**
 * Binds a job's recipe to the augmentation engine (src/augment). `eda` without a training-set size takes
 * the corpus size, as the EDA paper picks alpha and n_aug from it; the whole corpus (not the shard) counts,
 * so every shard augments with the same parameters.
 */
import { DistilleryError } from '../core/errors.ts';
import type { Example } from '../core/types.ts';
import { augmentCorpus, compileRecipe, type OpContext, type Recipe } from '../augment/index.ts';
import { teacherScorer } from '../teacher/teacher-scorer.ts';
import type { AugmenterFactory } from './resolve-job.ts';
import type { AugmentOutcome, ChunkAugmenter } from './runner/ports.ts';

export function withCorpusSize(recipe: unknown, corpusRecords: number): unknown {
  if (recipe === 'eda') return { builtin: 'eda', trainingSize: corpusRecords };
  if (typeof recipe === 'object' && recipe !== null && (recipe as { builtin?: unknown }).builtin === 'eda' && !('trainingSize' in recipe)) {
    return { ...recipe, trainingSize: corpusRecords };
  }
  return recipe;
}

class RecipeAugmenter implements ChunkAugmenter {
  readonly #recipe: Recipe;
  readonly #seed: number | string;
  readonly #context: OpContext;

  constructor(recipe: Recipe, seed: number | string, context: OpContext) {
    this.#recipe = recipe;
    this.#seed = seed;
    this.#context = context;
  }

  async augment(originals: readonly Example[], signal?: AbortSignal): Promise<AugmentOutcome> {
    const context: OpContext = signal ? { ...this.#context, signal } : this.#context;
    const { examples, stats } = await augmentCorpus(originals, this.#recipe, { seed: this.#seed, context, chunkSize: Math.max(1, originals.length) });
    const skipped = Object.values(stats.skipped).reduce((a, b) => a + (b ?? 0), 0);
    return { examples, skipped };
  }
}

export function makeAugmenterFactory(): AugmenterFactory {
  return async (recipeSpec, seed, { corpusRecords, teachers }) => {
    const recipe = compileRecipe(withCorpusSize(recipeSpec, corpusRecords));
    const context: OpContext = {};
    const first = teachers[0];
    if (recipe.op.needs.includes('scorer') && first) context.scorer = teacherScorer(first.runner);
    const missing = recipe.op.needs.filter((n) => n !== 'scorer');
    if (missing.length > 0) {
      throw new DistilleryError('INVALID_INPUT', `recipe ${recipe.name} needs a ${missing.join(' and a ')} model, which jobs cannot load yet`, {
        hint: 'use a recipe of word-level ops (eda, synonym, insert, swap, delete, char-noise, lexicon) or adversarial',
      });
    }
    return new RecipeAugmenter(recipe, seed, context);
  };
}
