/**
 * Binds a job's recipe to the augmentation engine (src/augment). `eda` without a training-set size takes
 * the corpus size, as the EDA paper picks alpha and n_aug from it; the whole corpus (not the shard) counts,
 * so every shard augments with the same parameters.
 */
import type { Example } from '../core/types.ts';
import { augmentCorpus, compileRecipe, type CompileOptions, type OpContext, type Recipe } from '../augment/index.ts';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import { teacherScorer } from '../teacher/teacher-scorer.ts';
import { AugmentModels } from './augment-models.ts';
import type { AugmenterFactory } from './resolve-job.ts';
import type { AugmentOutcome, ChunkAugmenter } from './runner/ports.ts';

export function withCorpusSize(recipe: unknown, corpusRecords: number): unknown {
  if (recipe === 'eda') return { builtin: 'eda', trainingSize: corpusRecords };
  if (
    typeof recipe === 'object' &&
    recipe !== null &&
    (recipe as { builtin?: unknown }).builtin === 'eda' &&
    !('trainingSize' in recipe)
  ) {
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
    const { examples, stats } = await augmentCorpus(originals, this.#recipe, {
      seed: this.#seed,
      context,
      chunkSize: Math.max(1, originals.length),
    });
    const skipped = Object.values(stats.skipped).reduce((a, b) => a + (b ?? 0), 0);
    const duplicatesByChain = Object.fromEntries(
      Object.entries(stats.byChain).map(([chain, c]) => [chain, c.duplicates]),
    );
    return { examples, skipped, duplicatesByChain };
  }
}

/**
 * `modelsDir`: where `augmentModels` folders resolve (the config's models dir). `models`: a model set to
 * reuse (the HTTP service's, or the CLI's from its flags) instead of one per job from the job's
 * `augmentModels`.
 */
export function makeAugmenterFactory(
  opts: { modelsDir?: string; models?: AugmentModels; compile?: CompileOptions } = {},
): AugmenterFactory {
  const modelsDir = opts.modelsDir ?? path.join(REPO_ROOT, 'models');
  return async (recipeSpec, seed, { corpusRecords, teachers, models }) => {
    const recipe = compileRecipe(withCorpusSize(recipeSpec, corpusRecords), opts.compile);
    const context: OpContext = await (opts.models ?? new AugmentModels(models, { modelsDir })).context(recipe);
    const first = teachers[0];
    if (recipe.op.needs.includes('scorer') && first) context.scorer = teacherScorer(first.runner);
    return new RecipeAugmenter(recipe, seed, context);
  };
}
