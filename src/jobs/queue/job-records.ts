/**
 * One job as the in-process queue keeps it, and what the queue says about it: its view, the dataset it
 * writes, its refusals and failures as plain records.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { DatasetLock, DatasetLockedError } from '../dataset-lock.ts';
import type { JobSpec } from '../job-schema.ts';
import type { JobHandle } from '../runner/job-handle.ts';
import { shardDatasetId } from '../runner/shard.ts';
import type { JournalEntry } from './job-journal.ts';
import type { JobView } from './job-queue.ts';

/** Everything the queue knows about one job. */
export interface JobRecord {
  /** what the journal keeps */
  entry: JournalEntry;
  /** the validated spec, while the job is queued or started (a cancelled one finishes its chunk first) */
  spec?: JobSpec;
  /** starting (teachers loading) or running: counts against maxRunning */
  active: boolean;
  handle?: JobHandle;
  /** the dataset lock (src/jobs/dataset-lock.ts), shared with `distillery run` */
  lock?: DatasetLock;
  /** settles once the job started or could not */
  starting?: Promise<void>;
}

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

/** The job as GET /v1/jobs/{id} shows it; `waitingAt` is its index among the waiting jobs (-1: not waiting). */
export function viewOf(r: JobRecord, waitingAt: number, publicMessage: (m: string) => string): JobView {
  const e = r.entry;
  const id = e.id;
  const times = {
    submitted: e.submitted,
    ...(e.started ? { started: e.started } : {}),
    ...(e.finished ? { finished: e.finished } : {}),
  };
  if (r.handle) {
    const st = r.handle.status();
    if (e.state === 'cancelled' && st.state === 'failed')
      return { ...st, state: 'cancelled', error: undefined, id, ...times };
    if (st.error) st.error = { ...st.error, message: publicMessage(st.error.message) };
    return { ...st, id, ...times };
  }
  const base = { id, ...times, dataset: datasetOf(e.request), progress: undefined, result: undefined, error: e.error };
  if (e.state === 'queued')
    return { ...base, state: 'queued', ...(waitingAt >= 0 ? { queuePosition: waitingAt + 1 } : {}) };
  // running without a handle: its teachers are loading
  return { ...base, state: e.state };
}
