/**
 * Back-translation: Sennrich, Haddow & Birch 2016, "Improving Neural Machine Translation Models with
 * Monolingual Data" (ACL); sampled rather than beam outputs for diversity as in Xie et al. 2020,
 * "Unsupervised Data Augmentation for Consistency Training" (NeurIPS). Default: en -> de -> en,
 * temperature 0.8, top-k 20, 4 outputs per sentence. Needs a Translator in the op context.
 */
import { DEFAULT_CONSTRAINTS } from '../constraints.ts';
import { BackTranslateOp } from '../ops/back-translate-op.ts';
import type { Recipe } from '../recipe.ts';

export function backtranslateRecipe(opts: { variants?: number; params?: Record<string, unknown> } = {}): Recipe {
  const op = new BackTranslateOp({ ...opts.params });
  return {
    name: 'backtranslate',
    op,
    variants: opts.variants ?? 4,
    constraints: { ...DEFAULT_CONSTRAINTS },
    params: {},
  };
}
