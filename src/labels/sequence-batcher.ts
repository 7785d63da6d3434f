/**
 * Cross-request micro-batching for one causal-LM teacher, the sequence counterpart of MicroBatcher
 * (same window, same one-call-at-a-time rule): token sequences from concurrent requests wait up to
 * maxWaitMs for company, then go to the teacher together. Only sequences with the same output spec
 * share a call; identical sequences (same content address) in a call are scored once.
 *
 * With `enabled: false` each request is its own call (the benchmark baseline).
 */
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import type { EncodedSequence, SequenceInputError } from '../teacher/causal/sequence-input.ts';
import { fitsTokenBudget } from './batch-plan.ts';
import type { BatchStats, MicroBatcherOptions } from './micro-batcher.ts';

/** What the batcher needs of a causal teacher (CausalTeacher satisfies it). */
export interface SequenceRunner {
  readonly info: { name: string };
  scoreEncoded(
    rows: readonly EncodedSequence[],
    spec: SequenceOutputSpec,
    opts: { seeds?: readonly string[] },
  ): Promise<(SequenceTargets | SequenceInputError)[]>;
}

/** One sequence to score: `key` is its content address, `seed` its sampling stream. */
export interface SequenceJob {
  row: EncodedSequence;
  key: string;
  seed: string;
}

interface Item extends SequenceJob {
  spec: SequenceOutputSpec;
  specKey: string;
  request: number;
  resolve: (t: SequenceTargets) => void;
  reject: (e: unknown) => void;
}

export class SequenceBatcher {
  readonly #runner: SequenceRunner;
  readonly #opts: MicroBatcherOptions;
  #pending: Item[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #windowStart: number | undefined;
  #nextRequest = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(runner: SequenceRunner, opts: MicroBatcherOptions) {
    for (const k of ['maxWaitMs', 'maxDelayMs', 'tokenBudget', 'maxBatchTexts', 'queueBound'] as const) {
      if (!Number.isFinite(opts[k]) || opts[k] < 0)
        throw new TypeError(`Expected \`${k}\` to be a finite number >= 0, got ${opts[k]}`);
    }
    this.#runner = runner;
    this.#opts = opts;
  }

  /** sequences waiting plus sequences in the teacher right now */
  get depth(): number {
    return this.#pending.length + this.#inFlight;
  }

  submit(jobs: readonly SequenceJob[], spec: SequenceOutputSpec): Promise<SequenceTargets[]> {
    if (this.#closed)
      return Promise.reject(new DistilleryError('CANCELLED', 'the server is shutting down', { hint: 'retry later' }));
    if (jobs.length === 0) return Promise.resolve([]);
    if (this.depth + jobs.length > this.#opts.queueBound) {
      return Promise.reject(
        new DistilleryError(
          'OVERLOADED',
          `teacher "${this.#runner.info.name}" has ${this.depth} sequences queued (bound ${this.#opts.queueBound})`,
          { hint: 'retry after the Retry-After delay, or send fewer sequences per request' },
        ),
      );
    }
    const request = this.#nextRequest++;
    const specKey = JSON.stringify([
      spec.temperature,
      spec.topK ?? 0,
      spec.samples?.draws ?? 0,
      !!spec.target,
      !!spec.hidden,
    ]);
    const promises = jobs.map(
      (job) =>
        new Promise<SequenceTargets>((resolve, reject) => {
          this.#pending.push({ ...job, spec, specKey, request, resolve, reject });
        }),
    );
    this.#schedule();
    return Promise.all(promises);
  }

  /** The sliding window of MicroBatcher: closes after maxWaitMs without news, or maxDelayMs after opening. */
  #schedule(): void {
    if (this.#running || this.#pending.length === 0) return;
    let tokens = 0;
    for (const it of this.#pending) tokens += it.row.ids.length;
    const full = tokens >= this.#opts.tokenBudget || this.#pending.length >= this.#opts.maxBatchTexts;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#opts.enabled || full || this.#opts.maxWaitMs === 0 || this.#closed) return this.#start();
    const now = performance.now();
    this.#windowStart ??= now;
    const wait = Math.max(0, Math.min(this.#opts.maxWaitMs, this.#windowStart + this.#opts.maxDelayMs - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, wait);
  }

  #start(): void {
    if (this.#running || this.#pending.length === 0) return;
    this.#windowStart = undefined;
    this.#running = this.#run(this.#takeBatch()).finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
  }

  /** Oldest first; same spec only; within the token budget (rows x longest) and maxBatchTexts. */
  #takeBatch(): Item[] {
    const first = this.#pending[0]!;
    const batch: Item[] = [];
    const rest: Item[] = [];
    let longest = 0;
    for (const it of this.#pending) {
      const same = it.specKey === first.specKey && (this.#opts.enabled || it.request === first.request);
      const nextLongest = Math.max(longest, it.row.ids.length);
      const fits =
        batch.length === 0 ||
        (fitsTokenBudget(batch.length + 1, nextLongest, this.#opts.tokenBudget) &&
          batch.length < this.#opts.maxBatchTexts);
      if (same && fits) {
        batch.push(it);
        longest = nextLongest;
      } else rest.push(it);
    }
    this.#pending = rest;
    return batch;
  }

  async #run(batch: Item[]): Promise<void> {
    const slots = new Map<string, number>();
    const unique: Item[] = [];
    const slot = batch.map((it) => {
      let i = slots.get(it.key);
      if (i === undefined) {
        i = unique.push(it) - 1;
        slots.set(it.key, i);
      }
      return i;
    });
    this.#inFlight += batch.length;
    const t0 = performance.now();
    let ok = false;
    try {
      const results = await this.#runner.scoreEncoded(
        unique.map((u) => u.row),
        batch[0]!.spec,
        { seeds: unique.map((u) => u.seed) },
      );
      if (results.length !== unique.length)
        throw new DistilleryError('INTERNAL', `teacher answered ${results.length} rows for ${unique.length}`);
      ok = true;
      batch.forEach((it, j) => {
        const r = results[slot[j]!]!;
        if ('tokenIds' in r) it.resolve(r);
        else
          it.reject(new DistilleryError('INVALID_INPUT', `${r.field}: ${r.message}`, { details: { field: r.field } }));
      });
    } catch (err) {
      for (const it of batch) it.reject(err);
    } finally {
      this.#inFlight -= batch.length;
      const tokens = ok ? unique.reduce((n, u) => n + u.row.ids.length, 0) : 0;
      const seconds = (performance.now() - t0) / 1000;
      this.#opts.onBatch?.({ texts: batch.length, unique: unique.length, tokens, seconds, ok } satisfies BatchStats);
    }
  }

  /** Refuses new sequences, lets everything already queued finish. Safe to call twice. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      while (this.#running || this.#pending.length > 0) {
        if (this.#running) await this.#running;
        else this.#start();
      }
    })();
    return this.#closing;
  }
}
