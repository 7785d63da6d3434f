/**
 * Paraphrase by a causal LM: Dai et al. 2023, "AugGPT: Leveraging ChatGPT for Text Data Augmentation"
 * (arXiv:2302.13007), which prompts an instruction-tuned LM to rewrite each training text. The rewrites
 * keep the original's label; label them with the classifier teacher and let the teacher filter
 * (job `filters`) drop the ones whose label flipped. Default: 2 rewrites per text, temperature 0.8,
 * top-p 0.95, at most 64 new tokens. Needs a TextGenerator in the op context.
 */
import { DEFAULT_CONSTRAINTS } from '../constraints.ts';
import { GenerateOp } from '../ops/generate-op.ts';
import type { Recipe } from '../recipe.ts';

export const PARAPHRASE_TEMPLATE =
  'Paraphrase the following text. Keep its meaning and reply with the paraphrase only.\n\nText: {text}\nParaphrase:';

export function paraphraseRecipe(opts: { variants?: number; params?: Record<string, unknown> } = {}): Recipe {
  const op = new GenerateOp({ template: PARAPHRASE_TEMPLATE, ...opts.params, keepLabel: true });
  return {
    name: 'paraphrase',
    op,
    variants: opts.variants ?? 2,
    constraints: { ...DEFAULT_CONSTRAINTS },
    params: {},
  };
}
