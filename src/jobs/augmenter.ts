/**
 * Binds a job's recipe to the augmentation engine (src/augment). `eda` without a training-set size takes
 * the corpus size, as the EDA paper picks alpha and n_aug from it; the whole corpus (not the shard) counts,
 * so every shard augments with the same parameters.
 */
import { DistilleryError } from '../core/errors.ts';
import type { Example } from '../core/types.ts';
import { augmentCorpus, compileRecipe, type OpContext, type Recipe } from '../augment/index.ts';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import { TransformersFillMasker } from '../teacher/fill-masker.ts';
import { teacherScorer } from '../teacher/teacher-scorer.ts';
import { TransformersTranslator } from '../teacher/translator.ts';
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
    const duplicatesByChain = Object.fromEntries(Object.entries(stats.byChain).map(([chain, c]) => [chain, c.duplicates]));
    return { examples, skipped, duplicatesByChain };
  }
}

/** `modelsDir`: where `augmentModels` folders resolve (the config's models dir). */
export function makeAugmenterFactory(opts: { modelsDir?: string } = {}): AugmenterFactory {
  const modelsDir = opts.modelsDir ?? path.join(REPO_ROOT, 'models');
  return async (recipeSpec, seed, { corpusRecords, teachers, models }) => {
    const recipe = compileRecipe(withCorpusSize(recipeSpec, corpusRecords));
    const context: OpContext = {};
    const needs = recipe.op.needs;
    const first = teachers[0];
    if (needs.includes('scorer') && first) context.scorer = teacherScorer(first.runner);
    if (needs.includes('fillMasker')) {
      if (!models?.fillMask) throw needsModel(recipe.name, 'a masked-LM model', 'augmentModels: { fillMask: tiny-bert-mlm }');
      context.fillMasker = await TransformersFillMasker.load(path.resolve(modelsDir, models.fillMask));
    }
    if (needs.includes('translator')) {
      if (!models?.translation) throw needsModel(recipe.name, 'translation models', 'augmentModels: { translation: { en-de: opus-mt-en-de, de-en: opus-mt-de-en } }');
      context.translator = new TransformersTranslator({ models: models.translation, modelsDir });
    }
    return new RecipeAugmenter(recipe, seed, context);
  };
}

const needsModel = (recipe: string, what: string, example: string) =>
  new DistilleryError('INVALID_INPUT', `recipe ${recipe} needs ${what}`, { hint: `name it in the job file, e.g. ${example}` });
