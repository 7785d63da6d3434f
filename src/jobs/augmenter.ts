/** Binds a job's recipe to the augmentation engine (src/augment). */
import { DistilleryError } from '../core/errors.ts';
import type { AugmenterFactory } from './resolve-job.ts';

export function makeAugmenterFactory(): AugmenterFactory {
  return async () => {
    throw new DistilleryError('INVALID_INPUT', 'this build has no augmentation engine yet', { hint: 'run the job without a recipe' });
  };
}
