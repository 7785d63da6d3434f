/** The one check that a teacher answered every input it was given, in one error style. */
import { DistilleryError } from './errors.ts';

export function expectOutputPerInput(teacher: string, outputs: number, inputs: number): void {
  if (outputs !== inputs) {
    throw new DistilleryError('INTERNAL', `teacher "${teacher}" returned ${outputs} outputs for ${inputs} inputs`);
  }
}
