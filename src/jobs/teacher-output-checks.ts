/**
 * What a job asks of its teachers, checked once they are loaded and before anything is computed. A
 * classifier's top-k holds at most one entry per class: the labelling gate stores a wider top-k as the
 * top-all the teacher has, so a job asking for more would label every row and then export none of them.
 */
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec } from '../core/types.ts';
import type { JobTeacher } from './runner/run-job.ts';

export function refuseTopKBeyondClasses(spec: OutputSpec, teachers: readonly JobTeacher[]): void {
  if (spec.topK === undefined) return;
  for (const { runner } of teachers) {
    const { info } = runner;
    const classes = info.task === 'text-classification' ? info.labels.length : 0;
    if (classes > 0 && spec.topK > classes)
      throw new DistilleryError(
        'INVALID_INPUT',
        `outputs.topK: ${spec.topK} is more than teacher ${info.name}'s ${classes} classes`,
        {
          hint: `ask for topK: ${classes} or less (the top ${classes} is every class, in order), or leave topK out and use the logits`,
          details: { field: 'outputs.topK', topK: spec.topK, classes },
        },
      );
  }
}
