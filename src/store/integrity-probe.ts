/**
 * The readiness probe's view of the store: SQLite's quick_check, run on a worker thread with its own
 * read-only connection, bounded by `budgetMs` (a check still running then is stopped and counts as
 * "not checked", not as damage), and cached for `ttlMs`, so /readyz stays cheap however often it is hit.
 * A request that meets corruption marks the store damaged at once.
 */
import { Worker } from 'node:worker_threads';

export interface IntegrityStatus {
  ok: boolean;
  detail?: string;
}

export class IntegrityProbe {
  readonly #path: string;
  readonly #ttlMs: number;
  readonly #budgetMs: number;
  #checked = 0;
  #last: IntegrityStatus | undefined;
  #running: Promise<IntegrityStatus> | undefined;
  #damaged: string | undefined;

  constructor(path: string, opts: { ttlMs?: number; budgetMs?: number } = {}) {
    this.#path = path;
    this.#ttlMs = opts.ttlMs ?? 60_000;
    this.#budgetMs = opts.budgetMs ?? 5_000;
  }

  /** A request met corruption: readiness fails from now on, with this reason. */
  markDamaged(reason: string): void {
    this.#damaged ??= reason;
  }

  async status(): Promise<IntegrityStatus> {
    if (this.#damaged) return { ok: false, detail: `damaged: ${this.#damaged}` };
    if (this.#last && Date.now() - this.#checked < this.#ttlMs) return this.#last;
    this.#running ??= this.#check().then((s) => {
      this.#last = s;
      this.#checked = Date.now();
      this.#running = undefined;
      return s;
    });
    return this.#running;
  }

  #check(): Promise<IntegrityStatus> {
    return new Promise((resolve) => {
      const worker = new Worker(new URL('./integrity-thread.mjs', import.meta.url), {
        workerData: { path: this.#path, maxProblems: 3 },
        execArgv: [],
      });
      const timer = setTimeout(() => {
        void worker.terminate();
        resolve({ ok: true, detail: `integrity not checked: quick_check took over ${this.#budgetMs} ms` });
      }, this.#budgetMs);
      worker.once('message', (r: { ok: boolean; problems: string[] }) => {
        clearTimeout(timer);
        resolve(r.ok ? { ok: true } : { ok: false, detail: `damaged: ${r.problems.join('; ')}` });
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        resolve({ ok: true, detail: `integrity not checked: ${err.message}` });
      });
    });
  }
}
