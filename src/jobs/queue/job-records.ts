/** What the queue says about a job: the dataset it writes, and its refusals and failures as plain records. */
import { DistilleryError } from '../../core/errors.ts';
import type { DatasetLockedError } from '../dataset-lock.ts';
import type { JobSpec } from '../job-schema.ts';
import { shardDatasetId } from '../runner/shard.ts';

export const lockedConflict = (err: DatasetLockedError) =>
  new DistilleryError('CONFLICT', err.message, {
    hint: err.hint ?? 'wait for it to finish',
    details: {
      holder: { pid: err.holder.pid, host: err.holder.host, command: err.holder.command, since: err.holder.acquired },
    },
  });

/** The dataset id a job writes (a shard writes its own). */
export const writtenDataset = (job: JobSpec): string => shardDatasetId(job.dataset, job.shard);

export function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof DistilleryError) return { code: err.code, message: err.toLine() };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function datasetOf(request: unknown): string {
  const d = (request as { dataset?: unknown } | null)?.dataset;
  return typeof d === 'string' ? d : '';
}
