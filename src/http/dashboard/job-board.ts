/**
 * Jobs started from the dashboard: validated with the pipeline's job schema, run one at a time in this
 * process through the pipeline's runner, progress kept for polling and pushed to server-sent-event
 * listeners. Kept in memory: a restart forgets the list (the datasets stay in the store).
 */
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import type { TeacherRunner } from '../../core/types.ts';
import { parseJob, type JobSpec } from '../../jobs/job-schema.ts';
import type { ProgressEvent } from '../../jobs/runner/progress.ts';
import { runJob, type JobResult } from '../../jobs/runner/run-job.ts';
import type { Store } from '../../store/index.ts';
import { recipeAugmenter } from './recipe-augmenter.ts';
import { manifestOf, storeRunnerAdapter } from './store-runner-adapter.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'up-to-date' | 'cancelled' | 'failed';

export interface JobView {
  id: string;
  dataset: string;
  status: JobStatus;
  created: string;
  corpus: string;
  recipe: unknown;
  teachers: string[];
  progress: ProgressEvent | null;
  result: JobResult | null;
  error: string | null;
}

interface JobEntry extends JobView {
  spec: JobSpec;
  controller: AbortController;
}

export interface JobBoardDeps {
  store: Store;
  teacher(name: string): Promise<TeacherRunner>;
  hasTeacher(name: string): boolean;
}

type Listener = (view: JobView) => void;

const FINISHED: readonly JobStatus[] = ['done', 'up-to-date', 'cancelled', 'failed'];

export class JobBoard {
  readonly #deps: JobBoardDeps;
  readonly #jobs = new Map<string, JobEntry>();
  readonly #listeners = new Map<string, Set<Listener>>();
  #next = 1;
  #tail: Promise<void> = Promise.resolve();

  constructor(deps: JobBoardDeps) {
    this.#deps = deps;
  }

  /** Validate and queue a job; `corpusLabel` is what the list shows instead of the resolved path. */
  submit(body: unknown, corpusLabel: string): JobView {
    const spec = parseJob(body, 'job');
    for (const t of spec.teachers) {
      if (!this.#deps.hasTeacher(t.name)) throw new DistilleryError('NOT_FOUND', `unknown teacher "${t.name}"`, { hint: 'pick one from GET /v1/teachers' });
    }
    const id = `job-${this.#next++}`;
    const entry: JobEntry = {
      id,
      dataset: spec.dataset,
      status: 'queued',
      created: new Date().toISOString(),
      corpus: corpusLabel,
      recipe: spec.recipe,
      teachers: spec.teachers.map((t) => t.name),
      progress: null,
      result: null,
      error: null,
      spec,
      controller: new AbortController(),
    };
    this.#jobs.set(id, entry);
    this.#tail = this.#tail.then(() => this.#run(entry));
    return this.view(id);
  }

  list(): JobView[] {
    return [...this.#jobs.keys()].reverse().map((id) => this.view(id));
  }

  view(id: string): JobView {
    const e = this.#jobs.get(id);
    if (!e) throw new DistilleryError('NOT_FOUND', `no job "${id}"`, { hint: 'see GET /v1/jobs' });
    const { spec: _spec, controller: _c, ...view } = e;
    return structuredClone(view);
  }

  cancel(id: string): JobView {
    const e = this.#jobs.get(id);
    if (!e) throw new DistilleryError('NOT_FOUND', `no job "${id}"`);
    e.controller.abort();
    if (e.status === 'queued') this.#set(e, { status: 'cancelled' });
    return this.view(id);
  }

  /** Calls `fn` on every change until the job finishes; returns the unsubscribe function. */
  subscribe(id: string, fn: Listener): () => void {
    this.view(id);
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Resolves when every submitted job has finished. */
  idle(): Promise<void> {
    return this.#tail;
  }

  /** Cancel running and queued jobs (the runner stops after its current chunk) and wait for them. */
  async close(): Promise<void> {
    for (const e of this.#jobs.values()) e.controller.abort();
    await this.#tail;
  }

  #set(e: JobEntry, patch: Partial<JobView>): void {
    Object.assign(e, patch);
    const view = this.view(e.id);
    for (const fn of this.#listeners.get(e.id) ?? []) fn(view);
    if (FINISHED.includes(e.status)) this.#listeners.delete(e.id);
  }

  async #run(e: JobEntry): Promise<void> {
    if (e.status !== 'queued') return;
    this.#set(e, { status: 'running' });
    try {
      const teachers = await Promise.all(e.spec.teachers.map(async (t) => ({ runner: await this.#deps.teacher(t.name), weight: t.weight })));
      const augmenter = e.spec.recipe === null ? undefined : recipeAugmenter(e.spec.recipe, e.spec.seed);
      const store = this.#deps.store;
      const result = await runJob({
        job: e.spec,
        store: storeRunnerAdapter(store),
        teachers,
        augmenter,
        signal: e.controller.signal,
        onProgress: (p) => this.#set(e, { progress: p }),
      });
      if (augmenter && result.status === 'done') {
        store.setDatasetManifest(result.dataset, { ...manifestOf(store, result.dataset), augmentStats: augmenter.stats, duplicatesDropped: result.duplicatesDropped });
      }
      this.#set(e, { status: result.status, result });
    } catch (err) {
      this.#set(e, { status: 'failed', error: isDistilleryError(err) ? err.toLine() : err instanceof Error ? err.message : String(err) });
    }
  }
}
