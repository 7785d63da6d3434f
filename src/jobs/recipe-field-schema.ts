/**
 * The `recipe` field of a job, which `distillery augment --recipe` checks too: a built-in recipe name (`eda`) or
 * a recipe object, as the augmentation engine defines them. Apart from job-schema.ts so that an augment run
 * does not build every job schema (~30 ms at start-up) to check one recipe.
 */
import { z } from 'zod';
import { BUILTIN_RECIPES, RecipeSpecSchema } from '../augment/index.ts';

const BUILTIN_NAMES = Object.keys(BUILTIN_RECIPES) as [string, ...string[]];

export const recipeOf = (spec: typeof RecipeSpecSchema) =>
  z.union([z.enum(BUILTIN_NAMES), spec], {
    error: `expected a built-in recipe (${BUILTIN_NAMES.join(', ')}) or a recipe object { builtin } / { flow, variants }`,
  });

export const recipeSchema = recipeOf(RecipeSpecSchema);
