/**
 * Jobs submitted over HTTP: validated with the same schema as JOB.yaml, corpus paths confined to the
 * configured corpora folders, run by the resumable runner (src/jobs), tracked by id.
 *
 * A small journal beside the database (`<db>-jobs.json`) remembers each job's request, so a job that
 * was running when the server stopped (signal or crash) is started again on the next start and the
 * runner resumes it from its last committed chunk. A job cancelled with DELETE stays cancelled.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DistilleryError } from '../core/errors.ts';
import { makeAugmenterFactory } from '../jobs/augmenter.ts';
import { jobSchema, type JobSpec } from '../jobs/job-schema.ts';
import { resolveJob, type TeacherSource } from '../jobs/resolve-job.ts';
import { startJob, type JobHandle, type JobStatus } from '../jobs/runner/job-handle.ts';
import type { Store } from '../store/index.ts';
import { HttpProblem } from './problem.ts';
import { parseOr422 } from './validate.ts';

type JournalState = 'running' | 'done' | 'up-to-date' | 'cancelled' | 'failed';

interface JournalEntry {
  id: string;
  /** the request body as received (paths still relative to the corpora folders) */
  request: unknown;
  state: JournalState;
  submitted: string;
  error?: { code: string; message: string };
}

export interface JobView extends Omit<JobStatus, 'id'> {
  id: string;
  submitted: string;
}

export interface JobManagerOptions {
  store: Store;
  teachers: TeacherSource & { has(name: string): boolean };
  /** folders a job's corpus.path may point into, searched in order */
  corporaDirs: readonly string[];
  /** the only folder augmentModels may name models in (by plain folder name) */
  modelsDir: string;
  journalPath: string;
  maxRunning: number;
  logger: Logger;
}

const KEEP_FINISHED = 200;

export class JobManager {
  readonly #opts: JobManagerOptions;
  readonly #entries = new Map<string, JournalEntry>();
  readonly #handles = new Map<string, JobHandle>();
  #closing: Promise<void> | undefined;

  constructor(opts: JobManagerOptions) {
    this.#opts = opts;
    for (const e of this.#readJournal()) this.#entries.set(e.id, e);
  }

  /** Starts every job the journal says was running when the server last stopped. */
  async resumeInterrupted(): Promise<string[]> {
    const resumed: string[] = [];
    for (const e of this.#entries.values()) {
      if (e.state !== 'running') continue;
      try {
        await this.#start(e, this.#validate(e.request));
        resumed.push(e.id);
      } catch (err) {
        e.state = 'failed';
        e.error = { code: 'INVALID_INPUT', message: err instanceof Error ? err.message : String(err) };
      }
    }
    this.#writeJournal();
    if (resumed.length) this.#opts.logger.info({ jobs: resumed }, 'resuming interrupted jobs');
    return resumed;
  }

  /** Validates and starts a job; the promise settles once its teachers are loaded. */
  async submit(request: unknown): Promise<JobView> {
    if (this.#closing) throw new DistilleryError('CANCELLED', 'the server is shutting down');
    const job = this.#validate(request);
    for (const [i, t] of job.teachers.entries()) {
      if (!this.#opts.teachers.has(t.name)) throw new HttpProblem(404, `field /teachers/${i}/name: no teacher named "${t.name}"`, { errors: [{ pointer: `/teachers/${i}/name`, detail: 'not configured' }] });
    }
    const running = [...this.#handles.values()].filter((h) => h.status().state === 'running');
    if (running.some((h) => h.dataset === job.dataset)) {
      throw new HttpProblem(409, `a job is already writing dataset "${job.dataset}"`, { hint: 'wait for it (GET /v1/jobs/{id}) or cancel it' });
    }
    if (running.length >= this.#opts.maxRunning) {
      throw new DistilleryError('OVERLOADED', `${running.length} jobs are running (limit ${this.#opts.maxRunning})`, { hint: 'retry when one finishes' });
    }
    const entry: JournalEntry = { id: randomUUID(), request, state: 'running', submitted: new Date().toISOString() };
    this.#entries.set(entry.id, entry);
    try {
      await this.#start(entry, job);
    } catch (err) {
      this.#entries.delete(entry.id);
      throw err;
    }
    this.#writeJournal();
    return this.get(entry.id)!;
  }

  get(id: string): JobView | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    const h = this.#handles.get(id);
    if (h) {
      const st = h.status();
      if (e.state === 'cancelled' && st.state === 'failed') return { ...st, state: 'cancelled', error: undefined, id, submitted: e.submitted };
      return { ...st, id, submitted: e.submitted };
    }
    return { id, submitted: e.submitted, dataset: datasetOf(e.request), state: e.state === 'running' ? 'cancelled' : e.state, progress: undefined, result: undefined, error: e.error };
  }

  /** Stops the job after the chunk in flight is committed. */
  cancel(id: string): JobView | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    const h = this.#handles.get(id);
    if (h && h.status().state === 'running') {
      e.state = 'cancelled';
      h.cancel();
      this.#writeJournal();
    }
    return this.get(id);
  }

  list(): JobView[] {
    return [...this.#entries.keys()].map((id) => this.get(id)!);
  }

  /**
   * Checkpoints running jobs: each stops after its chunk in flight is committed, and stays 'running'
   * in the journal so the next start resumes it. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const running = [...this.#handles.entries()].filter(([, h]) => h.status().state === 'running');
      for (const [, h] of running) h.cancel();
      await Promise.allSettled(running.map(([, h]) => h.done));
      this.#writeJournal();
    })();
    return this.#closing;
  }

  #validate(request: unknown): JobSpec {
    const job = parseOr422(jobSchema, request);
    if (job.export.length > 0) {
      throw new HttpProblem(422, 'field /export: export targets write server paths and are not accepted over HTTP', {
        errors: [{ pointer: '/export', detail: 'must be empty' }],
        hint: 'download the result with GET /v1/datasets/{id}/export?format=...',
      });
    }
    this.#checkAugmentModels(job);
    return { ...job, corpus: { ...job.corpus, path: this.#corpusPath(job.corpus.path) } };
  }

  /** Model-backed ops load models a request names: only plain folder names inside the models dir. */
  #checkAugmentModels(job: JobSpec): void {
    const m = job.augmentModels;
    if (!m) return;
    const named: [string, string][] = [];
    if (m.fillMask !== undefined) named.push(['/augmentModels/fillMask', m.fillMask]);
    for (const [dir, folder] of Object.entries(m.translation ?? {})) named.push([`/augmentModels/translation/${dir}`, folder]);
    for (const [pointer, folder] of named) {
      const ok = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(folder) && !folder.includes('..');
      const full = path.join(this.#opts.modelsDir, folder);
      if (!ok || !existsSync(full) || !statSync(full).isDirectory()) {
        throw new HttpProblem(422, `field ${pointer}: "${folder}" is not a model folder in the models dir`, {
          errors: [{ pointer, detail: 'a folder name inside the configured models dir' }],
          hint: 'requests name models by folder, never by path or hub id',
        });
      }
    }
  }

  /** A relative path inside one of the corpora folders; never absolute, never climbing out. */
  #corpusPath(p: string): string {
    const bad = (detail: string): never => {
      throw new HttpProblem(422, `field /corpus/path: ${detail}`, {
        errors: [{ pointer: '/corpus/path', detail }],
        hint: 'name a corpus relative to the corpora folders, e.g. "sst2/dev.jsonl"',
      });
    };
    if (path.isAbsolute(p) || p.includes('\\') || p.includes('\0')) bad('must be a relative path');
    const norm = path.posix.normalize(p);
    if (norm.startsWith('..') || norm.split('/').includes('..')) bad('must not leave the corpora folders');
    for (const dir of this.#opts.corporaDirs) {
      const full = path.resolve(dir, norm);
      if (!full.startsWith(path.resolve(dir) + path.sep)) continue;
      if (existsSync(full) && statSync(full).isFile()) return full;
    }
    throw new HttpProblem(404, `field /corpus/path: no corpus "${p}" in the corpora folders`, { errors: [{ pointer: '/corpus/path', detail: 'not found' }] });
  }

  async #start(entry: JournalEntry, job: JobSpec): Promise<void> {
    const opts = await resolveJob(job, { store: this.#opts.store, teachers: this.#opts.teachers, augmenterFactory: makeAugmenterFactory({ modelsDir: this.#opts.modelsDir }) });
    const handle = startJob(opts);
    this.#handles.set(entry.id, handle);
    handle.done.then(
      (r) => {
        // cancelled by shutdown: keep 'running' so the next start resumes it
        if (r.status === 'cancelled' && (this.#closing || entry.state === 'running')) return;
        entry.state = r.status;
        this.#writeJournal();
      },
      (err: unknown) => {
        // A cancel can surface as an abort error from the chunk in flight; the committed chunks stand.
        if (this.#closing && entry.state === 'running') return;
        if (entry.state === 'cancelled') return;
        entry.state = 'failed';
        entry.error = err instanceof DistilleryError ? { code: err.code, message: err.toLine() } : { code: 'INTERNAL', message: String(err) };
        this.#opts.logger.warn({ job: entry.id, err }, 'job failed');
        this.#writeJournal();
      },
    );
  }

  #readJournal(): JournalEntry[] {
    if (!existsSync(this.#opts.journalPath)) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.#opts.journalPath, 'utf8')) as { jobs?: JournalEntry[] };
      return Array.isArray(parsed.jobs) ? parsed.jobs : [];
    } catch (err) {
      this.#opts.logger.warn({ err, file: this.#opts.journalPath }, 'unreadable job journal ignored');
      return [];
    }
  }

  #writeJournal(): void {
    const all = [...this.#entries.values()];
    const finished = all.filter((e) => e.state !== 'running');
    const keep = new Set([...all.filter((e) => e.state === 'running'), ...finished.slice(-KEEP_FINISHED)]);
    const tmp = `${this.#opts.journalPath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ jobs: all.filter((e) => keep.has(e)) }, null, 1));
    renameSync(tmp, this.#opts.journalPath);
  }
}

function datasetOf(request: unknown): string {
  const d = (request as { dataset?: unknown } | null)?.dataset;
  return typeof d === 'string' ? d : '';
}
