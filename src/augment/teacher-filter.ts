/**
 * Teacher filters over augmented examples, run after labelling: a pure decision from the original's and the
 * augmentation's class probabilities. The pipeline applies it; nothing here calls a model.
 */
import { argmax } from '../core/soft-labels.ts';

export type FilterAction = 'keep' | 'drop' | 'flag';

export interface TeacherFilter {
  /** what to do when the augmentation's argmax differs from the original's */
  onLabelFlip: FilterAction;
  /** the augmentation's top probability must lie in [min, max] */
  confidenceBand?: { min: number; max: number };
  /** what to do outside the band */
  outsideBand?: FilterAction;
}

export interface FilterDecision {
  action: FilterAction;
  reasons: ('label-flip' | 'confidence-out-of-band')[];
  originalLabel: number;
  augmentedLabel: number;
  augmentedConfidence: number;
}

const SEVERITY: Record<FilterAction, number> = { keep: 0, flag: 1, drop: 2 };

export function decideTeacherFilter(
  original: ArrayLike<number>,
  augmented: ArrayLike<number>,
  filter: TeacherFilter,
): FilterDecision {
  if (original.length !== augmented.length || original.length === 0) {
    throw new RangeError(
      `Expected two probability rows of the same non-zero length, got ${original.length} and ${augmented.length}`,
    );
  }
  const originalLabel = argmax(original);
  const augmentedLabel = argmax(augmented);
  const augmentedConfidence = augmented[augmentedLabel]!;
  let action: FilterAction = 'keep';
  const reasons: FilterDecision['reasons'] = [];
  if (originalLabel !== augmentedLabel) {
    reasons.push('label-flip');
    action = worse(action, filter.onLabelFlip);
  }
  const band = filter.confidenceBand;
  if (band && (augmentedConfidence < band.min || augmentedConfidence > band.max)) {
    reasons.push('confidence-out-of-band');
    action = worse(action, filter.outsideBand ?? 'drop');
  }
  return { action, reasons, originalLabel, augmentedLabel, augmentedConfidence };
}

const worse = (a: FilterAction, b: FilterAction): FilterAction => (SEVERITY[b] > SEVERITY[a] ? b : a);
