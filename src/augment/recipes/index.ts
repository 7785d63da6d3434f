/** Built-in recipes by name. */
import { adversarialRecipe } from './adversarial.ts';
import { backtranslateRecipe } from './backtranslate.ts';
import { edaRecipe } from './eda.ts';
import { paraphraseRecipe } from './paraphrase.ts';
import { tinybertRecipe } from './tinybert.ts';

export interface BuiltinOptions {
  trainingSize?: number;
  variants?: number;
  params?: Record<string, unknown>;
}

export const BUILTIN_RECIPES = Object.freeze({
  eda: (o: BuiltinOptions) => edaRecipe(o),
  tinybert: (o: BuiltinOptions) => tinybertRecipe(o),
  backtranslate: (o: BuiltinOptions) => backtranslateRecipe(o),
  adversarial: (o: BuiltinOptions) => adversarialRecipe(o),
  paraphrase: (o: BuiltinOptions) => paraphraseRecipe(o),
});
export type BuiltinName = keyof typeof BUILTIN_RECIPES;

export { edaSettings } from './eda.ts';
