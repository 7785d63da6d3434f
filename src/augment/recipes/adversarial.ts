/**
 * Teacher-guided adversarial substitution: Jin et al. 2020, "Is BERT Really Robust? A Strong Baseline for
 * Natural Language Attack on Text Classification and Entailment" (TextFooler, AAAI) word ranking by
 * deletion, with Ren et al. 2019 (PWWS, ACL) WordNet synonyms. At most 20% of words, 10 synonyms each,
 * one output per sentence (the search is deterministic). Needs a Scorer in the op context.
 */
import { DEFAULT_CONSTRAINTS } from '../constraints.ts';
import { AdversarialOp } from '../ops/adversarial-op.ts';
import type { Recipe } from '../recipe.ts';

export function adversarialRecipe(opts: { variants?: number; params?: Record<string, unknown> } = {}): Recipe {
  const op = new AdversarialOp({ maxShare: 0.2, maxCandidates: 10, ...opts.params });
  return { name: 'adversarial', op, variants: opts.variants ?? 1, constraints: { ...DEFAULT_CONSTRAINTS }, params: {} };
}
