/** A recipe: an op tree, how many variants per example, and the constraints its outputs must meet. */
import type { AugmentOp } from './op.ts';
import type { Constraints } from './constraints.ts';

export interface Recipe {
  name: string;
  op: AugmentOp;
  /** augmentation attempts per example (EDA's n_aug, TinyBERT's N) */
  variants: number;
  constraints: Constraints;
  /** recorded in provenance (e.g. the EDA table row that was used) */
  params: Record<string, unknown>;
}
