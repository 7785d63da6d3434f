/**
 * The micro-batchers of a labeler, one per teacher, made on first use: their queue depths for metrics,
 * and one close for all of them. SoftLabeler (texts) and CausalLabeler (sequences) each keep one.
 */
import type { BatchStats, MicroBatcherOptions } from './window-batcher.ts';

/** The batching settings a labeler is given, shared by its teachers' batchers. */
export interface PoolOptions {
  batching: { enabled: boolean; maxWaitMs: number; maxDelayMs: number; tokenBudget: number; maxBatchTexts: number };
  queueBound: number;
  onBatch?: (teacher: string, stats: BatchStats) => void;
}

interface Batcher {
  readonly depth: number;
  close(): Promise<void>;
}

export class BatcherPool<B extends Batcher> {
  readonly #opts: PoolOptions;
  readonly #batchers = new Map<string, B>();
  #closing: Promise<void> | undefined;

  constructor(opts: PoolOptions) {
    this.#opts = opts;
  }

  /** true once close() was called: the labeler refuses new work */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** The teacher's batcher; `make` builds it (with the pool's settings) the first time. */
  get(teacher: string, make: (opts: MicroBatcherOptions) => B): B {
    let b = this.#batchers.get(teacher);
    if (!b) {
      b = make({
        ...this.#opts.batching,
        queueBound: this.#opts.queueBound,
        onBatch: (s) => this.#opts.onBatch?.(teacher, s),
      });
      this.#batchers.set(teacher, b);
    }
    return b;
  }

  /** inputs queued or running per teacher that has served at least once */
  depths(): Map<string, number> {
    return new Map([...this.#batchers].map(([name, b]) => [name, b.depth]));
  }

  /** Waits for every queued batch. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([...this.#batchers.values()].map((b) => b.close())).then(() => undefined);
    return this.#closing;
  }
}
