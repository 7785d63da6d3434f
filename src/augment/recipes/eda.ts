/**
 * EDA: Wei & Zou 2019, "EDA: Easy Data Augmentation Techniques for Boosting Performance on Text
 * Classification Tasks" (EMNLP-IJCNLP). Each augmentation applies one of synonym replacement, random
 * insertion, random swap, random deletion with alpha = share of words changed; alpha and n_aug (outputs
 * per sentence) follow the paper's recommendation table by training-set size.
 * Differences from the reference code: casing and punctuation are kept, stopwords are never deleted, and
 * each output draws its operation at random instead of a fixed quarter each.
 */
import { OneOf } from '../compose.ts';
import { DEFAULT_CONSTRAINTS } from '../constraints.ts';
import { DeleteOp } from '../ops/delete-op.ts';
import { InsertOp } from '../ops/insert-op.ts';
import { SwapOp } from '../ops/swap-op.ts';
import { SynonymOp } from '../ops/synonym-op.ts';
import type { Recipe } from '../recipe.ts';

/** The paper's Table 3: [minimum training-set size, alpha, n_aug]. */
export const EDA_TABLE: readonly (readonly [number, number, number])[] = [
  [5000, 0.1, 4],
  [2000, 0.05, 8],
  [0, 0.05, 16],
];

export function edaSettings(trainingSize?: number): { alpha: number; nAug: number } {
  const row = trainingSize === undefined ? EDA_TABLE[0]! : EDA_TABLE.find(([min]) => trainingSize >= min)!;
  return { alpha: row[1], nAug: row[2] };
}

export function edaRecipe(
  opts: { trainingSize?: number; variants?: number; params?: { alpha?: unknown } } = {},
): Recipe {
  const table = edaSettings(opts.trainingSize);
  const alpha = typeof opts.params?.alpha === 'number' ? opts.params.alpha : table.alpha;
  const op = new OneOf([
    new SynonymOp({ alpha, posAware: false }),
    new InsertOp({ alpha }),
    new SwapOp({ alpha }),
    new DeleteOp({ alpha }),
  ]);
  return {
    name: 'eda',
    op,
    variants: opts.variants ?? table.nAug,
    constraints: { ...DEFAULT_CONSTRAINTS },
    params: {
      alpha,
      nAug: opts.variants ?? table.nAug,
      ...(opts.trainingSize === undefined ? {} : { trainingSize: opts.trainingSize }),
    },
  };
}
