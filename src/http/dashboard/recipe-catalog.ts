/** Built-in recipes a job can run from the dashboard: those whose ops need at most the teacher as scorer. */
import { BUILTIN_RECIPES, compileRecipe } from '../../augment/index.ts';

export function runnableRecipes(): string[] {
  return Object.keys(BUILTIN_RECIPES).filter((n) => {
    try {
      return compileRecipe(n).op.needs.every((need) => need === 'scorer');
    } catch {
      return false;
    }
  });
}
