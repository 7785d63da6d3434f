/**
 * The runner as a service: start a job, follow its progress events, cancel it (AbortSignal), read its
 * status. The CLI and the HTTP API (POST /v1/jobs, GET/DELETE /v1/jobs/:id) both use this.
 */
import { randomUUID } from 'node:crypto';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import type { ProgressEvent, ProgressListener } from './progress.ts';
import { runJob, type JobResult, type RunJobOptions } from './run-job.ts';
import { runSequenceJob } from '../sequence/run-sequence-job.ts';

export type JobState = 'running' | 'done' | 'up-to-date' | 'cancelled' | 'failed';

export interface JobStatus {
  id: string;
  dataset: string;
  state: JobState;
  progress: ProgressEvent | undefined;
  result: JobResult | undefined;
  error: { code: string; message: string } | undefined;
}

export class JobHandle {
  readonly id = randomUUID();
  readonly dataset: string;
  /** settles when the job ends; rejects with the job's error */
  readonly done: Promise<JobResult>;
  readonly #controller = new AbortController();
  readonly #listeners = new Set<ProgressListener>();
  #state: JobState = 'running';
  #last: ProgressEvent | undefined;
  #result: JobResult | undefined;
  #error: DistilleryError | undefined;

  constructor(opts: Omit<RunJobOptions, 'signal' | 'onProgress'> & { signal?: AbortSignal }) {
    this.dataset = opts.job.dataset;
    if (opts.signal) {
      if (opts.signal.aborted) this.#controller.abort();
      else opts.signal.addEventListener('abort', () => this.#controller.abort(), { once: true });
    }
    const signal = this.#controller.signal;
    const onProgress: ProgressListener = (e) => {
      this.#last = e;
      for (const l of this.#listeners) l(e);
    };
    const run = opts.causal
      ? runSequenceJob({ job: opts.job, ...opts.causal, signal, onProgress })
      : runJob({ ...opts, signal, onProgress });
    this.done = run.then(
      (r) => {
        this.#result = r;
        this.#state = r.status;
        return r;
      },
      (err: unknown) => {
        this.#error = isDistilleryError(err)
          ? err
          : new DistilleryError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err });
        this.#state = 'failed';
        throw this.#error;
      },
    );
    // a caller that only polls status() must not see an unhandled rejection
    this.done.catch(() => undefined);
  }

  /** Follow progress; returns the unsubscribe function. */
  onProgress(listener: ProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stop after the chunk in flight is committed; `done` then resolves with status 'cancelled'. */
  cancel(): void {
    this.#controller.abort();
  }

  status(): JobStatus {
    return {
      id: this.id,
      dataset: this.dataset,
      state: this.#state,
      progress: this.#last,
      result: this.#result,
      error: this.#error && { code: this.#error.code, message: this.#error.toLine() },
    };
  }
}

export const startJob = (opts: ConstructorParameters<typeof JobHandle>[0]): JobHandle => new JobHandle(opts);
