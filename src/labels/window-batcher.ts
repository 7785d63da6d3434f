/**
 * Cross-request micro-batching for one teacher, whatever it scores (texts: MicroBatcher; token
 * sequences: SequenceBatcher). Inputs from concurrent callers wait for company (see #schedule), then go
 * to the teacher together in token-budget batches (inputs x longest input <= tokenBudget). One call runs
 * at a time per teacher: on a CPU the runtime already uses every core, so a second concurrent call only
 * adds contention; inputs that arrive meanwhile join the next batch. Only inputs with the same output
 * spec share a call, and identical inputs within a call are computed once.
 *
 * With `enabled: false` every request is its own call (the per-request baseline for benchmarks).
 */
import { DistilleryError } from '../core/errors.ts';
import { fitsTokenBudget } from './batch-plan.ts';

export interface MicroBatcherOptions {
  enabled: boolean;
  /** quiet time that closes a batch */
  maxWaitMs: number;
  /** longest a batch stays open while inputs keep coming */
  maxDelayMs: number;
  tokenBudget: number;
  maxBatchTexts: number;
  /** inputs waiting or in the teacher before submit() refuses with OVERLOADED */
  queueBound: number;
  /** called after each teacher call, for metrics */
  onBatch?: (stats: BatchStats) => void;
}

export interface BatchStats {
  texts: number;
  /** distinct inputs actually sent to the teacher */
  unique: number;
  /** real tokens reported by the teacher */
  tokens: number;
  seconds: number;
  ok: boolean;
}

/** What a batcher asks of the teacher and of its inputs. */
export interface BatchTeacher<I, S, O> {
  readonly name: string;
  /** what the inputs are called in messages: "texts", "sequences" */
  readonly noun: string;
  readonly closedHint: string;
  readonly overloadedHint: string;
  specKey(spec: S): string;
  /** identical inputs have the same key and are computed once per call */
  inputKey(input: I): string;
  /** an input's weight against the token budget */
  tokens(input: I): number;
  /** One call for the distinct inputs of a batch: an output (or the error to reject it with) per input. */
  call(inputs: I[], spec: S): Promise<{ results: (O | Error)[]; tokens: number }>;
}

interface Item<I, S, O> {
  input: I;
  spec: S;
  specKey: string;
  request: number;
  tokens: number;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class WindowBatcher<I, S, O> {
  readonly #teacher: BatchTeacher<I, S, O>;
  readonly #opts: MicroBatcherOptions;
  #pending: Item<I, S, O>[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #windowStart: number | undefined;
  #nextRequest = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(teacher: BatchTeacher<I, S, O>, opts: MicroBatcherOptions) {
    for (const k of ['maxWaitMs', 'maxDelayMs', 'tokenBudget', 'maxBatchTexts', 'queueBound'] as const) {
      if (!Number.isFinite(opts[k]) || opts[k] < 0)
        throw new TypeError(`Expected \`${k}\` to be a finite number >= 0, got ${opts[k]}`);
    }
    this.#teacher = teacher;
    this.#opts = opts;
  }

  /** inputs waiting plus inputs in the teacher right now */
  get depth(): number {
    return this.#pending.length + this.#inFlight;
  }

  submit(inputs: readonly I[], spec: S): Promise<O[]> {
    const t = this.#teacher;
    if (this.#closed)
      return Promise.reject(new DistilleryError('CANCELLED', 'the server is shutting down', { hint: t.closedHint }));
    if (inputs.length === 0) return Promise.resolve([]);
    if (this.depth + inputs.length > this.#opts.queueBound) {
      return Promise.reject(
        new DistilleryError(
          'OVERLOADED',
          `teacher "${t.name}" has ${this.depth} ${t.noun} queued (bound ${this.#opts.queueBound})`,
          { hint: t.overloadedHint },
        ),
      );
    }
    const request = this.#nextRequest++;
    const specKey = t.specKey(spec);
    const promises = inputs.map(
      (input) =>
        new Promise<O>((resolve, reject) => {
          this.#pending.push({ input, spec, specKey, request, tokens: t.tokens(input), resolve, reject });
        }),
    );
    this.#schedule();
    return Promise.all(promises);
  }

  /**
   * A sliding window: the batch closes once no new input came for maxWaitMs, or maxDelayMs after it
   * opened. A fixed window is not enough: requests come in a few ms apart under load (and with a
   * teacher on the main thread, `thread: main`, everything that arrived during a call is parsed right
   * after it), so a fixed 5 ms window would close after the first few of them.
   */
  #schedule(): void {
    if (this.#running || this.#pending.length === 0) return;
    let tokens = 0;
    for (const it of this.#pending) tokens += it.tokens;
    const full = tokens >= this.#opts.tokenBudget || this.#pending.length >= this.#opts.maxBatchTexts;
    this.#clearTimer();
    if (!this.#opts.enabled || full || this.#opts.maxWaitMs === 0 || this.#closed) return this.#start();
    const now = performance.now();
    this.#windowStart ??= now;
    const wait = Math.max(0, Math.min(this.#opts.maxWaitMs, this.#windowStart + this.#opts.maxDelayMs - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, wait);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One call; then the next batch gets its own window, so inputs parsed meanwhile can join it. */
  #start(): void {
    if (this.#running || this.#pending.length === 0) return;
    this.#windowStart = undefined;
    this.#running = this.#run(this.#takeBatch()).finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
  }

  /** Oldest first; same spec only; within the token budget (inputs x longest) and maxBatchTexts. */
  #takeBatch(): Item<I, S, O>[] {
    const first = this.#pending[0]!;
    const batch: Item<I, S, O>[] = [];
    const rest: Item<I, S, O>[] = [];
    let longest = 0;
    for (const it of this.#pending) {
      const sameGroup = it.specKey === first.specKey && (this.#opts.enabled || it.request === first.request);
      const nextLongest = Math.max(longest, it.tokens);
      const fits =
        batch.length === 0 ||
        (fitsTokenBudget(batch.length + 1, nextLongest, this.#opts.tokenBudget) &&
          batch.length < this.#opts.maxBatchTexts);
      if (sameGroup && fits) {
        batch.push(it);
        longest = nextLongest;
      } else {
        rest.push(it);
      }
    }
    this.#pending = rest;
    return batch;
  }

  async #run(batch: Item<I, S, O>[]): Promise<void> {
    const unique = new Map<string, number>();
    const inputs: I[] = [];
    const slot = batch.map((it) => {
      const k = this.#teacher.inputKey(it.input);
      let i = unique.get(k);
      if (i === undefined) {
        i = inputs.length;
        unique.set(k, i);
        inputs.push(it.input);
      }
      return i;
    });
    this.#inFlight += batch.length;
    const t0 = performance.now();
    let ok = false;
    let tokens = 0;
    try {
      const answer = await this.#teacher.call(inputs, batch[0]!.spec);
      tokens = answer.tokens;
      ok = true;
      batch.forEach((it, j) => {
        const r = answer.results[slot[j]!]!;
        if (r instanceof Error) it.reject(r);
        else it.resolve(r);
      });
    } catch (err) {
      for (const it of batch) it.reject(err);
    } finally {
      this.#inFlight -= batch.length;
      this.#opts.onBatch?.({
        texts: batch.length,
        unique: inputs.length,
        tokens,
        seconds: (performance.now() - t0) / 1000,
        ok,
      });
    }
  }

  /** Refuses new inputs, lets everything already queued finish. Safe to call twice. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      this.#clearTimer();
      while (this.#running || this.#pending.length > 0) {
        if (this.#running) await this.#running;
        else this.#start();
      }
    })();
    return this.#closing;
  }
}
