/**
 * Jobs submitted over HTTP: validated with the same schema as JOB.yaml (src/http/job-request.ts), run by
 * the resumable runner (src/jobs), tracked by id.
 *
 * At most `maxRunning` jobs run at once; later ones wait in a FIFO queue of at most `maxQueued` and
 * start, oldest first, as running ones finish, fail or are cancelled. Past that bound a submission is
 * refused (429). The journal beside the database (src/http/job-journal.ts) remembers queued and running
 * jobs, so on the next start interrupted jobs resume from their last committed chunk (ahead of the
 * queue, as they were started first) and queued ones follow in order. A job cancelled with DELETE, queued
 * or running, stays cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { compileRecipe, type CompileOptions } from '../augment/index.ts';
import { DistilleryError } from '../core/errors.ts';
import { AugmentModels } from '../jobs/augment-models.ts';
import { DatasetLock, DatasetLockedError, isStaleLock } from '../jobs/dataset-lock.ts';
import { makeAugmenterFactory, withCorpusSize } from '../jobs/augmenter.ts';
import type { JobSpec } from '../jobs/job-schema.ts';
import { resolveJob, type TeacherSource } from '../jobs/resolve-job.ts';
import { startJob, type JobHandle, type JobState, type JobStatus } from '../jobs/runner/job-handle.ts';
import { shardDatasetId } from '../jobs/runner/shard.ts';
import type { Store } from '../store/index.ts';
import { isPending, readJournal, writeJournal, type JournalEntry } from './job-journal.ts';
import { validateJobRequest } from './job-request.ts';
import { HttpProblem } from './problem.ts';
import { publicMessage } from './public-paths.ts';

export interface JobView extends Omit<JobStatus, 'id' | 'state'> {
  id: string;
  state: JobState | 'queued';
  /** 1 = next to start; only while queued */
  queuePosition?: number;
  submitted: string;
  started?: string;
  finished?: string;
}

export interface JobManagerOptions {
  store: Store;
  teachers: TeacherSource & { has(name: string): boolean };
  /** folders a job's corpus.path may point into, searched in order */
  corporaDirs: readonly string[];
  /** the only folder augmentModels may name models in (by plain folder name) */
  modelsDir: string;
  /** the operator's lexicon catalogue (config `lexicons`) and file caps */
  compile?: CompileOptions;
  /** files a job may never read as its corpus: the store's own */
  protectedFiles?: readonly string[];
  /** largest corpus file a job may read */
  maxCorpusBytes?: number;
  /** the server config's augmentation models, for jobs whose body names none */
  augmentModels?: AugmentModels;
  journalPath: string;
  /** jobs running at once */
  maxRunning: number;
  /** jobs waiting to start; more are refused with 429 */
  maxQueued: number;
  logger: Logger;
}

const now = () => new Date().toISOString();

export class JobManager {
  readonly #opts: JobManagerOptions;
  readonly #entries = new Map<string, JournalEntry>();
  readonly #handles = new Map<string, JobHandle>();
  /** validated specs of queued and running jobs */
  readonly #specs = new Map<string, JobSpec>();
  /** ids waiting to start, oldest first */
  readonly #queue: string[] = [];
  /** ids starting (teachers loading) or running: the ones that count against maxRunning */
  readonly #active = new Set<string>();
  readonly #starting = new Set<Promise<void>>();
  /** dataset locks of started jobs (src/jobs/dataset-lock.ts), shared with `distillery run` */
  readonly #locks = new Map<string, DatasetLock>();
  #closing: Promise<void> | undefined;

  constructor(opts: JobManagerOptions) {
    this.#opts = opts;
    for (const e of readJournal(opts.journalPath, opts.logger)) this.#entries.set(e.id, e);
  }

  /**
   * Queues every job the journal says was running or queued when the server last stopped (running ones
   * first) and starts as many as the limit allows. Returns the ids queued again.
   */
  async resumeInterrupted(): Promise<string[]> {
    const pending = [...this.#entries.values()].filter(isPending);
    const ordered = [...pending.filter((e) => e.state === 'running'), ...pending.filter((e) => e.state === 'queued')];
    const resumed: string[] = [];
    for (const e of ordered) {
      try {
        this.#specs.set(e.id, this.#validate(e.request));
        e.state = 'queued';
        this.#queue.push(e.id);
        resumed.push(e.id);
      } catch (err) {
        this.#finish(e, 'failed', { code: 'INVALID_INPUT', message: err instanceof Error ? err.message : String(err) });
      }
    }
    if (resumed.length) this.#opts.logger.info({ jobs: resumed }, 'resuming interrupted and queued jobs');
    this.#pump();
    this.#save();
    return resumed;
  }

  /**
   * Validates a job and starts it, or queues it when `maxRunning` jobs are running (or others wait
   * already). A job that starts at once settles once its teachers are loaded, so a teacher that cannot
   * load answers this request.
   */
  async submit(request: unknown): Promise<JobView> {
    if (this.#closing) throw new DistilleryError('CANCELLED', 'the server is shutting down');
    const job = this.#validate(request);
    for (const [i, t] of job.teachers.entries()) {
      if (!this.#opts.teachers.has(t.name))
        throw new HttpProblem(404, `field /teachers/${i}/name: no teacher named "${t.name}"`, {
          errors: [{ pointer: `/teachers/${i}/name`, detail: 'not configured' }],
        });
    }
    const target = writtenDataset(job);
    // queued and started jobs keep their spec until they end (a cancelled one finishes its chunk first)
    const clash = [...this.#specs.entries()].find(([, s]) => writtenDataset(s) === target);
    if (clash) {
      const state = this.#entries.get(clash[0])!.state;
      throw new HttpProblem(
        409,
        `a job is already ${state === 'queued' ? 'queued to write' : 'writing'} dataset "${target}"`,
        {
          hint: `wait for job ${clash[0]} (GET /v1/jobs/${clash[0]}) or cancel it (DELETE)`,
        },
      );
    }
    // a `distillery run` (or another server) on the same database writing it now
    const held = this.#opts.store.locks.get(target);
    if (held && !isStaleLock(held, LOCK_STALE_MS)) throw lockedProblem(new DatasetLockedError(held, LOCK_STALE_MS));
    const entry: JournalEntry = { id: randomUUID(), request, state: 'queued', submitted: now() };
    if (this.#active.size < this.#opts.maxRunning && this.#queue.length === 0) {
      this.#entries.set(entry.id, entry);
      this.#specs.set(entry.id, job);
      try {
        await this.#start(entry, job);
      } catch (err) {
        this.#entries.delete(entry.id);
        this.#specs.delete(entry.id);
        throw err;
      }
    } else {
      if (this.#queue.length >= this.#opts.maxQueued) {
        throw new DistilleryError(
          'OVERLOADED',
          `${this.#active.size} jobs are running and ${this.#queue.length} wait (limits ${this.#opts.maxRunning} and ${this.#opts.maxQueued})`,
          {
            hint: 'retry when one finishes',
          },
        );
      }
      this.#entries.set(entry.id, entry);
      this.#specs.set(entry.id, job);
      this.#queue.push(entry.id);
    }
    this.#save();
    return this.get(entry.id)!;
  }

  get(id: string): JobView | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    const times = {
      submitted: e.submitted,
      ...(e.started ? { started: e.started } : {}),
      ...(e.finished ? { finished: e.finished } : {}),
    };
    const h = this.#handles.get(id);
    if (h) {
      const st = h.status();
      if (e.state === 'cancelled' && st.state === 'failed')
        return { ...st, state: 'cancelled', error: undefined, id, ...times };
      if (st.error) st.error = { ...st.error, message: publicMessage(st.error.message, this.#opts.corporaDirs) };
      return { ...st, id, ...times };
    }
    const base = {
      id,
      ...times,
      dataset: datasetOf(e.request),
      progress: undefined,
      result: undefined,
      error: e.error,
    };
    if (e.state === 'queued') {
      const at = this.#queue.indexOf(id);
      return { ...base, state: 'queued', ...(at >= 0 ? { queuePosition: at + 1 } : {}) };
    }
    // running without a handle: its teachers are loading
    return { ...base, state: e.state };
  }

  /** A queued job is dropped from the queue; a running one stops after the chunk in flight is committed. */
  cancel(id: string): JobView | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    if (e.state === 'queued') {
      const at = this.#queue.indexOf(id);
      if (at >= 0) this.#queue.splice(at, 1);
      this.#finish(e, 'cancelled');
      this.#save();
    } else if (e.state === 'running') {
      const h = this.#handles.get(id);
      e.state = 'cancelled';
      // a job still loading its teachers sees the state and does not start
      if (h && h.status().state === 'running') h.cancel();
      this.#save();
    }
    return this.get(id);
  }

  list(): JobView[] {
    return [...this.#entries.keys()].map((id) => this.get(id)!);
  }

  /**
   * Checkpoints running jobs: each stops after its chunk in flight is committed, and stays 'running'
   * in the journal so the next start resumes it; queued ones stay queued. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#starting]);
      const running = [...this.#handles.values()].filter((h) => h.status().state === 'running');
      for (const h of running) h.cancel();
      await Promise.allSettled(running.map((h) => h.done));
      this.#save();
    })();
    return this.#closing;
  }

  #validate(request: unknown): JobSpec {
    const job = validateJobRequest(request, {
      corporaDirs: this.#opts.corporaDirs,
      modelsDir: this.#opts.modelsDir,
      protectedFiles: this.#opts.protectedFiles ?? [],
      ...(this.#opts.maxCorpusBytes ? { maxCorpusBytes: this.#opts.maxCorpusBytes } : {}),
    });
    if (job.recipe !== null) {
      // a recipe whose models are named nowhere is refused now, not after waiting in the queue
      const models = job.augmentModels
        ? new AugmentModels(job.augmentModels, { modelsDir: this.#opts.modelsDir })
        : this.#opts.augmentModels;
      try {
        const recipe = compileRecipe(withCorpusSize(job.recipe, 1), this.#opts.compile);
        models?.check(recipe);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const given = err instanceof DistilleryError ? err.hint : undefined;
        const hint = job.augmentModels || !given ? given : `name the model in the job's augmentModels, or ${given}`;
        throw new HttpProblem(422, `field /recipe: ${message}`, {
          errors: [{ pointer: '/recipe', detail: message }],
          ...(hint ? { hint } : {}),
        });
      }
    }
    return job;
  }

  /** Starts queued jobs, oldest first, while fewer than maxRunning run. */
  #pump(): void {
    if (this.#closing) return;
    let started = false;
    while (this.#active.size < this.#opts.maxRunning && this.#queue.length > 0) {
      const id = this.#queue.shift()!;
      const entry = this.#entries.get(id)!;
      started = true;
      this.#start(entry, this.#specs.get(id)!).catch((err: unknown) => {
        if (this.#closing) return;
        this.#opts.logger.warn({ job: id, err }, 'queued job could not start');
        if (entry.state === 'cancelled') this.#finish(entry, 'cancelled');
        else this.#finish(entry, 'failed', this.#errorOf(err));
        this.#save();
        this.#pump();
      });
    }
    if (started) this.#save();
  }

  /** Loads the job's teachers and starts it; rejects (and frees its slot) when they cannot load. */
  async #start(entry: JournalEntry, job: JobSpec): Promise<void> {
    entry.state = 'running';
    this.#active.add(entry.id);
    const starting = (async () => {
      let handle: JobHandle | undefined;
      try {
        const lock = DatasetLock.acquire(this.#opts.store, writtenDataset(job), {
          command: `distillery serve, job ${entry.id}`,
          staleMs: LOCK_STALE_MS,
          onLost: () => handle?.cancel(),
        });
        this.#locks.set(entry.id, lock);
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
          this.#release(entry.id);
          if (entry.state === 'cancelled') {
            this.#finish(entry, 'cancelled');
            this.#save();
          }
          if (!this.#closing) this.#pump();
          return;
        }
        handle = startJob(opts);
        this.#handles.set(entry.id, handle);
        entry.started = now();
        handle.done.then(
          (r) =>
            this.#ended(entry, () => {
              // cancelled by shutdown: keep 'running' so the next start resumes it
              if (r.status === 'cancelled' && (this.#closing || entry.state === 'running')) return false;
              this.#finish(entry, r.status);
              return true;
            }),
          (err: unknown) =>
            this.#ended(entry, () => {
              // A cancel can surface as an abort error from the chunk in flight; the committed chunks stand.
              if (this.#closing && entry.state === 'running') return false;
              if (entry.state === 'cancelled') {
                this.#finish(entry, 'cancelled');
                return true;
              }
              this.#opts.logger.warn({ job: entry.id, err }, 'job failed');
              this.#finish(entry, 'failed', this.#errorOf(err));
              return true;
            }),
        );
      } catch (err) {
        this.#release(entry.id);
        throw err instanceof DatasetLockedError ? lockedProblem(err) : err;
      }
    })();
    this.#starting.add(starting);
    try {
      await starting;
    } finally {
      this.#starting.delete(starting);
    }
  }

  /** A started job ended: free its slot, record the outcome, start the next queued job. */
  #ended(entry: JournalEntry, record: () => boolean): void {
    this.#release(entry.id);
    if (record()) {
      this.#specs.delete(entry.id);
      this.#save();
    }
    this.#pump();
  }

  /** Frees the job's running slot and its dataset lock. */
  #release(id: string): void {
    this.#active.delete(id);
    this.#locks.get(id)?.release();
    this.#locks.delete(id);
  }

  #finish(
    entry: JournalEntry,
    state: 'done' | 'up-to-date' | 'cancelled' | 'failed',
    error?: { code: string; message: string },
  ): void {
    entry.state = state;
    entry.finished = now();
    if (error) entry.error = error;
    this.#specs.delete(entry.id);
  }

  /** What GET /v1/jobs/{id} says went wrong, without the server's absolute paths. */
  #errorOf(err: unknown): { code: string; message: string } {
    const e = errorOf(err);
    return { ...e, message: publicMessage(e.message, this.#opts.corporaDirs) };
  }

  #save(): void {
    writeJournal(this.#opts.journalPath, [...this.#entries.values()]);
  }
}

/** A holder on another host counts as dead after this long without a heartbeat. */
const LOCK_STALE_MS = 60_000;

const lockedProblem = (err: DatasetLockedError) =>
  new HttpProblem(409, err.message, {
    hint: err.hint ?? 'wait for it to finish',
    holder: { pid: err.holder.pid, host: err.holder.host, command: err.holder.command, since: err.holder.acquired },
  });

/** The dataset id a job writes (a shard writes its own). */
const writtenDataset = (job: JobSpec): string => shardDatasetId(job.dataset, job.shard);

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof DistilleryError) return { code: err.code, message: err.toLine() };
  if (err instanceof HttpProblem) return { code: String(err.problem.status), message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

function datasetOf(request: unknown): string {
  const d = (request as { dataset?: unknown } | null)?.dataset;
  return typeof d === 'string' ? d : '';
}
