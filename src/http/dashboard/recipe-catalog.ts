/**
 * Built-in recipes a job can run from the dashboard: those whose ops need at most the teacher as scorer,
 * plus the model-backed ones whose models the server config names (augmentModels).
 */
import { BUILTIN_RECIPES, compileRecipe, type Recipe } from '../../augment/index.ts';

export function runnableRecipes(models?: { check(recipe: Recipe): void }): string[] {
  return Object.keys(BUILTIN_RECIPES).filter((n) => {
    try {
      const recipe = compileRecipe(n);
      if (recipe.op.needs.every((need) => need === 'scorer')) return true;
      if (!models) return false;
      models.check(recipe);
      return true;
    } catch {
      return false;
    }
  });
}
