/**
 * TinyBERT data augmentation: Jiao et al. 2020, "TinyBERT: Distilling BERT for Natural Language
 * Understanding" (Findings of EMNLP), section 3.3 / Algorithm 1: p_t = 0.4, N_a = 20 outputs per
 * sentence, K = 15 masked-LM candidates per word. Needs a FillMasker in the op context.
 */
import { DEFAULT_CONSTRAINTS } from '../constraints.ts';
import { MaskedLmOp } from '../ops/masked-lm-op.ts';
import type { Recipe } from '../recipe.ts';

export function tinybertRecipe(opts: { variants?: number; params?: Record<string, unknown> } = {}): Recipe {
  const op = new MaskedLmOp({ p: 0.4, topK: 15, ...opts.params });
  return {
    name: 'tinybert',
    op,
    variants: opts.variants ?? 20,
    constraints: { ...DEFAULT_CONSTRAINTS },
    params: { ...op.params, n: opts.variants ?? 20 },
  };
}
