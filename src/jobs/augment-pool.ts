/**
 * Augmentation off the event loop: a fixed number of worker threads (config `workers`) run recipes whose
 * ops need no model (synonyms, EDA, typos, lexicons: pure CPU). A request waits for a free thread in a
 * bounded FIFO. A task waits at most `deadlineMs` for a thread, then runs at most `deadlineMs` in it
 * (a thread's start-up does not count); past either its thread is terminated and replaced and it fails
 * with DeadlineExceededError, so one request can never hold a thread, or the server, for longer. Model-backed recipes do not come here: their model calls already run
 * in the models' own threads.
 */
import { Worker } from 'node:worker_threads';
import type { CompileOptions } from '../augment/index.ts';
import { DistilleryError, type ErrorCode } from '../core/errors.ts';
import type { Example } from '../core/types.ts';

const WORKER_URL = new URL('./augment-worker.mjs', import.meta.url);

export interface AugmentTask {
  examples: Example[];
  /** the recipe spec as the request gave it (compiled again in the thread) */
  recipe: unknown;
  seed: number | string;
}

/** `{"examples": [...], "stats": {...}}` as UTF-8 JSON, serialized in the thread (the HTTP answer as is). */
export interface AugmentTaskResult {
  body: Uint8Array;
}

/** The deadline passed: the caller answers 503 with Retry-After. */
export class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`the augmentation did not finish within ${ms} ms and was stopped`);
  }
}

interface Pending {
  task: AugmentTask;
  resolve(r: AugmentTaskResult): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  slot?: Slot;
  /** handed to its thread (not just waiting for the thread to start) */
  running: boolean;
  done: boolean;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy?: Pending;
}

export interface AugmentPoolOptions {
  size: number;
  /** tasks waiting for a thread; more are refused (OVERLOADED) */
  maxQueued: number;
  deadlineMs: number;
  compile: CompileOptions;
}

export class AugmentPool {
  readonly #opts: AugmentPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 0;
  #closed = false;

  constructor(opts: AugmentPoolOptions) {
    this.#opts = opts;
  }

  run(task: AugmentTask, signal?: AbortSignal): Promise<AugmentTaskResult> {
    if (this.#closed) return Promise.reject(new DistilleryError('CANCELLED', 'the server is shutting down'));
    if (this.#queue.length >= this.#opts.maxQueued)
      return Promise.reject(
        new DistilleryError('OVERLOADED', `${this.#queue.length} augmentation requests already wait for a thread`, {
          hint: 'retry shortly, or run large augmentations as a job (POST /v1/jobs)',
        }),
      );
    return new Promise<AugmentTaskResult>((resolve, reject) => {
      const p: Pending = {
        task,
        resolve,
        reject,
        done: false,
        running: false,
        timer: undefined as unknown as NodeJS.Timeout,
      };
      p.timer = this.#deadline(p);
      // the client went away: stop the work it asked for
      signal?.addEventListener('abort', () => this.#fail(p, new DistilleryError('CANCELLED', 'the client went away')), {
        once: true,
      });
      this.#queue.push(p);
      this.#pump();
    });
  }

  /** Stops every thread; waiting and running tasks fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0))
      this.#fail(p, new DistilleryError('CANCELLED', 'the server is shutting down'));
    await Promise.all(this.#slots.splice(0).map((s) => s.worker.terminate()));
  }

  #deadline(p: Pending): NodeJS.Timeout {
    return setTimeout(() => this.#fail(p, new DeadlineExceededError(this.#opts.deadlineMs)), this.#opts.deadlineMs);
  }

  #fail(p: Pending, err: unknown): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    const at = this.#queue.indexOf(p);
    if (at >= 0) this.#queue.splice(at, 1);
    if (p.slot && p.running) this.#replace(p.slot);
    else if (p.slot) {
      // its thread was still starting: keep the thread for the next task
      p.slot.busy = undefined;
      this.#pump();
    }
    p.reject(err);
  }

  /** A thread stopped mid-task (deadline, client gone, crash): terminate it and start a fresh one. */
  #replace(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    slot.busy = undefined;
    void slot.worker.terminate();
    this.#pump();
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_URL, { execArgv: [] });
    worker.unref();
    const slot: Slot = {
      worker,
      ready: new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      }),
    };
    worker.on(
      'message',
      (m: {
        id?: number;
        ok?: boolean;
        body?: Uint8Array;
        error?: { message: string; code?: string; hint?: string };
      }) => {
        const p = slot.busy;
        if (m.id === undefined || !p) return;
        slot.busy = undefined;
        p.slot = undefined;
        if (!p.done) {
          p.done = true;
          clearTimeout(p.timer);
          if (m.ok) p.resolve({ body: m.body! });
          else
            p.reject(
              new DistilleryError(
                (m.error?.code as ErrorCode | undefined) ?? 'INTERNAL',
                m.error?.message ?? 'augmentation failed',
                {
                  ...(m.error?.hint ? { hint: m.error.hint } : {}),
                },
              ),
            );
        }
        worker.unref();
        this.#pump();
      },
    );
    worker.on('error', (err) => {
      const p = slot.busy;
      if (p) this.#fail(p, err);
      else this.#replace(slot);
    });
    this.#slots.push(slot);
    return slot;
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot && this.#slots.length < this.#opts.size) slot = this.#spawn();
      if (!slot) return;
      const p = this.#queue.shift()!;
      slot.busy = p;
      p.slot = slot;
      const s = slot;
      s.worker.ref();
      s.ready.then(
        () => {
          if (s.busy !== p || p.done) return;
          clearTimeout(p.timer);
          p.timer = this.#deadline(p);
          p.running = true;
          s.worker.postMessage({ id: this.#nextId++, ...p.task, compile: this.#opts.compile });
        },
        (err: unknown) => this.#fail(p, err),
      );
    }
  }
}
