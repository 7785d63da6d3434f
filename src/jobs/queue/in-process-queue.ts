/**
 * Jobs run in this process by the resumable runner, tracked by id, one record per job.
 *
 * At most `maxRunning` jobs run at once; later ones wait in a FIFO of at most `maxQueued` and start,
 * oldest first, as running ones finish, fail or are cancelled. Past that bound a submission is refused
 * (OVERLOADED). The journal (job-journal.ts) remembers queued and running jobs, so on the next start
 * interrupted jobs resume from their last committed chunk (ahead of the queue, as they were started
 * first) and queued ones follow in order. A cancelled job, queued or running, stays cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CompileOptions } from '../../augment/index.ts';
import { DistilleryError } from '../../core/errors.ts';
import type { AugmentModels } from '../augment-models.ts';
import { makeAugmenterFactory } from '../augmenter.ts';
import { DatasetLock, DatasetLockedError, isStaleLock } from '../dataset-lock.ts';
import type { JobSpec } from '../job-schema.ts';
import { resolveJob, type TeacherSource } from '../resolve-job.ts';
import { startJob } from '../runner/job-handle.ts';
import type { Store } from '../../store/index.ts';
import { isPending, readJournal, writeJournal } from './job-journal.ts';
import { errorOf, lockedConflict, viewOf, writtenDataset, type JobRecord } from './job-records.ts';
import type { JobQueue, JobView } from './job-queue.ts';

export interface InProcessJobQueueOptions {
  store: Store;
  teachers: TeacherSource & { has(name: string): boolean };
  /** Turns a request into a job spec or throws (the HTTP rules: corpora folders, models dir, recipe models). */
  validate(request: unknown): JobSpec;
  /** the only folder augmentModels may name models in (by plain folder name) */
  modelsDir: string;
  /** the server config's augmentation models, for jobs whose body names none */
  augmentModels?: AugmentModels;
  /** the operator's lexicon catalogue (config `lexicons`) and file caps, for the jobs' recipes */
  compile?: CompileOptions;
  /**
   * What an error message may say to whoever reads the job (GET /v1/jobs/{id}); the HTTP service
   * passes one that hides the server's absolute paths. Default: the message as it is.
   */
  publicMessage?: (message: string) => string;
  journalPath: string;
  /** jobs running at once */
  maxRunning: number;
  /** jobs waiting to start; more are refused with OVERLOADED */
  maxQueued: number;
  logger: Logger;
}

/** A holder on another host counts as dead after this long without a heartbeat. */
const LOCK_STALE_MS = 60_000;

const now = () => new Date().toISOString();

export class InProcessJobQueue implements JobQueue {
  readonly #opts: InProcessJobQueueOptions;
  readonly #jobs = new Map<string, JobRecord>();
  /** records waiting to start, oldest first */
  readonly #waiting: JobRecord[] = [];
  #closing: Promise<void> | undefined;

  constructor(opts: InProcessJobQueueOptions) {
    this.#opts = opts;
    for (const entry of readJournal(opts.journalPath, opts.logger)) this.#jobs.set(entry.id, { entry, active: false });
  }

  async resumeInterrupted(): Promise<string[]> {
    const pending = [...this.#jobs.values()].filter((r) => isPending(r.entry));
    const ordered = [
      ...pending.filter((r) => r.entry.state === 'running'),
      ...pending.filter((r) => r.entry.state === 'queued'),
    ];
    const resumed: string[] = [];
    for (const r of ordered) {
      try {
        r.spec = this.#opts.validate(r.entry.request);
        r.entry.state = 'queued';
        this.#waiting.push(r);
        resumed.push(r.entry.id);
      } catch (err) {
        this.#finish(r, 'failed', { code: 'INVALID_INPUT', message: err instanceof Error ? err.message : String(err) });
      }
    }
    if (resumed.length) this.#opts.logger.info({ jobs: resumed }, 'resuming interrupted and queued jobs');
    this.#pump();
    this.#save();
    return resumed;
  }

  async submit(request: unknown): Promise<JobView> {
    if (this.#closing) throw new DistilleryError('CANCELLED', 'the server is shutting down');
    const job = this.#opts.validate(request);
    for (const [i, t] of job.teachers.entries()) {
      if (!this.#opts.teachers.has(t.name))
        throw new DistilleryError('NOT_FOUND', `field /teachers/${i}/name: no teacher named "${t.name}"`, {
          details: { errors: [{ pointer: `/teachers/${i}/name`, detail: 'not configured' }] },
        });
    }
    const target = writtenDataset(job);
    const clash = [...this.#jobs.values()].find((r) => r.spec && writtenDataset(r.spec) === target);
    if (clash) {
      const { id, state } = clash.entry;
      throw new DistilleryError(
        'CONFLICT',
        `a job is already ${state === 'queued' ? 'queued to write' : 'writing'} dataset "${target}"`,
        { hint: `wait for job ${id} (GET /v1/jobs/${id}) or cancel it (DELETE)` },
      );
    }
    // a `distillery run` (or another server) on the same database writing it now
    const held = this.#opts.store.locks.get(target);
    if (held && !isStaleLock(held, LOCK_STALE_MS)) throw lockedConflict(new DatasetLockedError(held, LOCK_STALE_MS));
    const record: JobRecord = {
      entry: { id: randomUUID(), request, state: 'queued', submitted: now() },
      spec: job,
      active: false,
    };
    if (this.#activeCount() < this.#opts.maxRunning && this.#waiting.length === 0) {
      this.#jobs.set(record.entry.id, record);
      try {
        await this.#start(record);
      } catch (err) {
        this.#jobs.delete(record.entry.id);
        throw err;
      }
    } else {
      if (this.#waiting.length >= this.#opts.maxQueued) {
        throw new DistilleryError(
          'OVERLOADED',
          `${this.#activeCount()} jobs are running and ${this.#waiting.length} wait (limits ${this.#opts.maxRunning} and ${this.#opts.maxQueued})`,
          { hint: 'retry when one finishes' },
        );
      }
      this.#jobs.set(record.entry.id, record);
      this.#waiting.push(record);
    }
    this.#save();
    return this.get(record.entry.id)!;
  }

  get(id: string): JobView | undefined {
    const r = this.#jobs.get(id);
    return r && viewOf(r, this.#waiting.indexOf(r), (m) => this.#public(m));
  }

  cancel(id: string): JobView | undefined {
    const r = this.#jobs.get(id);
    if (!r) return undefined;
    if (r.entry.state === 'queued') {
      const at = this.#waiting.indexOf(r);
      if (at >= 0) this.#waiting.splice(at, 1);
      this.#finish(r, 'cancelled');
      this.#save();
    } else if (r.entry.state === 'running') {
      r.entry.state = 'cancelled';
      // a job still loading its teachers sees the state and does not start
      if (r.handle && r.handle.status().state === 'running') r.handle.cancel();
      this.#save();
    }
    return this.get(id);
  }

  list(): JobView[] {
    return [...this.#jobs.keys()].map((id) => this.get(id)!);
  }

  /** Running jobs stop after their chunk in flight and stay 'running' in the journal; queued ones stay queued. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const records = [...this.#jobs.values()];
      await Promise.allSettled(records.map((r) => r.starting));
      const running = records.flatMap((r) => (r.handle && r.handle.status().state === 'running' ? [r.handle] : []));
      for (const h of running) h.cancel();
      await Promise.allSettled(running.map((h) => h.done));
      this.#save();
    })();
    return this.#closing;
  }

  #activeCount(): number {
    let n = 0;
    for (const r of this.#jobs.values()) if (r.active) n++;
    return n;
  }

  /** Starts queued jobs, oldest first, while fewer than maxRunning run. */
  #pump(): void {
    if (this.#closing) return;
    let started = false;
    while (this.#activeCount() < this.#opts.maxRunning && this.#waiting.length > 0) {
      const r = this.#waiting.shift()!;
      started = true;
      this.#start(r).catch((err: unknown) => {
        if (this.#closing) return;
        this.#opts.logger.warn({ job: r.entry.id, err }, 'queued job could not start');
        if (r.entry.state === 'cancelled') this.#finish(r, 'cancelled');
        else this.#finish(r, 'failed', this.#errorOf(err));
        this.#save();
        this.#pump();
      });
    }
    if (started) this.#save();
  }

  /** Loads the job's teachers and starts it; rejects (and frees its slot) when they cannot load. */
  async #start(r: JobRecord): Promise<void> {
    const { entry } = r;
    const job = r.spec!;
    entry.state = 'running';
    r.active = true;
    const starting = (async () => {
      try {
        r.lock = DatasetLock.acquire(this.#opts.store, writtenDataset(job), {
          command: `distillery serve, job ${entry.id}`,
          staleMs: LOCK_STALE_MS,
          onLost: () => r.handle?.cancel(),
        });
        const shared = job.augmentModels ? undefined : this.#opts.augmentModels;
        const augmenterFactory = makeAugmenterFactory({
          modelsDir: this.#opts.modelsDir,
          ...(this.#opts.compile ? { compile: this.#opts.compile } : {}),
          ...(shared ? { models: shared } : {}),
        });
        const opts = await resolveJob(job, {
          store: this.#opts.store,
          teachers: this.#opts.teachers,
          augmenterFactory,
        });
        // cancelled while its teachers loaded, or the server is stopping (it stays 'running': resumed next start)
        if (entry.state !== 'running' || this.#closing) {
          this.#release(r);
          if (entry.state === 'cancelled') {
            this.#finish(r, 'cancelled');
            this.#save();
          }
          if (!this.#closing) this.#pump();
          return;
        }
        const handle = startJob(opts);
        r.handle = handle;
        entry.started = now();
        handle.done.then(
          (result) =>
            this.#ended(r, () => {
              // cancelled by shutdown: keep 'running' so the next start resumes it
              if (result.status === 'cancelled' && (this.#closing || entry.state === 'running')) return false;
              this.#finish(r, result.status);
              return true;
            }),
          (err: unknown) =>
            this.#ended(r, () => {
              // A cancel can surface as an abort error from the chunk in flight; the committed chunks stand.
              if (this.#closing && entry.state === 'running') return false;
              if (entry.state === 'cancelled') {
                this.#finish(r, 'cancelled');
                return true;
              }
              this.#opts.logger.warn({ job: entry.id, err }, 'job failed');
              this.#finish(r, 'failed', this.#errorOf(err));
              return true;
            }),
        );
      } catch (err) {
        this.#release(r);
        throw err instanceof DatasetLockedError ? lockedConflict(err) : err;
      }
    })();
    r.starting = starting;
    try {
      await starting;
    } finally {
      r.starting = undefined;
    }
  }

  /** A started job ended: free its slot, record the outcome, start the next queued job. */
  #ended(r: JobRecord, record: () => boolean): void {
    this.#release(r);
    if (record()) {
      r.spec = undefined;
      this.#save();
    }
    this.#pump();
  }

  /** Frees the job's running slot and its dataset lock. */
  #release(r: JobRecord): void {
    r.active = false;
    r.lock?.release();
    r.lock = undefined;
  }

  #finish(
    r: JobRecord,
    state: 'done' | 'up-to-date' | 'cancelled' | 'failed',
    error?: { code: string; message: string },
  ): void {
    r.entry.state = state;
    r.entry.finished = now();
    if (error) r.entry.error = error;
    r.spec = undefined;
  }

  #public(message: string): string {
    return this.#opts.publicMessage ? this.#opts.publicMessage(message) : message;
  }

  /** A failure as the job's record keeps it (and GET /v1/jobs/{id} shows it). */
  #errorOf(err: unknown): { code: string; message: string } {
    const e = errorOf(err);
    return { ...e, message: this.#public(e.message) };
  }

  #save(): void {
    writeJournal(
      this.#opts.journalPath,
      [...this.#jobs.values()].map((r) => r.entry),
    );
  }
}
