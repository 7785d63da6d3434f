/** Write a finished job's export targets. */
import { DistilleryError } from '../core/errors.ts';
import type { JobSpec } from '../jobs/job-schema.ts';
import type { Runtime } from './job-runtime.ts';

export async function runExports(_rt: Runtime, job: JobSpec, _dataset: string): Promise<void> {
  if (job.export.length === 0) return;
  throw new DistilleryError('INVALID_INPUT', 'this build cannot export yet', { hint: 'remove export: from the job file' });
}
