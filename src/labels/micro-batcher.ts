/**
 * Cross-request micro-batching for one teacher: it only merges what the labelling gate (gate.ts) hands it.
 *
 * Texts from concurrent callers wait for company (see #schedule), then go to the model together in
 * token-budget batches (texts x longest text <= tokenBudget). One model call runs at a time per teacher:
 * on a CPU the runtime already uses every core, so a second concurrent call only adds contention; texts
 * that arrive meanwhile join the next batch. Identical inputs within a batch are computed once.
 *
 * With `enabled: false` every request is its own model call (the per-request baseline for benchmarks).
 */
import { DistilleryError } from '../core/errors.ts';
import { expectOutputPerInput } from '../core/output-count.ts';
import type { OutputSpec, TeacherOutput, TeacherRunner, TextInput } from '../core/types.ts';
import { fitsTokenBudget } from './batch-plan.ts';
import { estimateTokens } from './token-estimate.ts';

export interface MicroBatcherOptions {
  enabled: boolean;
  /** quiet time that closes a batch */
  maxWaitMs: number;
  /** longest a batch stays open while texts keep coming */
  maxDelayMs: number;
  tokenBudget: number;
  maxBatchTexts: number;
  /** texts waiting or in the model before submit() refuses with OVERLOADED */
  queueBound: number;
  /** called after each model call, for metrics */
  onBatch?: (stats: BatchStats) => void;
}

export interface BatchStats {
  texts: number;
  /** distinct inputs actually sent to the model */
  unique: number;
  /** real tokens reported by the teacher */
  tokens: number;
  seconds: number;
  ok: boolean;
}

interface Item {
  input: TextInput;
  spec: OutputSpec;
  specKey: string;
  request: number;
  estTokens: number;
  resolve: (o: TeacherOutput) => void;
  reject: (e: unknown) => void;
}

export function specKey(spec: OutputSpec): string {
  return JSON.stringify([
    spec.logits,
    spec.temperatures,
    spec.topK ?? null,
    spec.hidden ?? null,
    spec.attentions ?? null,
    spec.encoding,
  ]);
}

const inputKey = (i: TextInput): string =>
  i.textPair === undefined ? `s\u0000${i.text}` : `p\u0000${i.text}\u0000${i.textPair}`;

export class MicroBatcher {
  readonly #runner: TeacherRunner;
  readonly #opts: MicroBatcherOptions;
  #pending: Item[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #windowStart: number | undefined;
  #nextRequest = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(runner: TeacherRunner, opts: MicroBatcherOptions) {
    for (const k of ['maxWaitMs', 'maxDelayMs', 'tokenBudget', 'maxBatchTexts', 'queueBound'] as const) {
      if (!Number.isFinite(opts[k]) || opts[k] < 0)
        throw new TypeError(`Expected \`${k}\` to be a finite number >= 0, got ${opts[k]}`);
    }
    this.#runner = runner;
    this.#opts = opts;
  }

  /** texts waiting plus texts in the model right now */
  get depth(): number {
    return this.#pending.length + this.#inFlight;
  }

  submit(inputs: TextInput[], spec: OutputSpec): Promise<TeacherOutput[]> {
    if (this.#closed) {
      return Promise.reject(
        new DistilleryError('CANCELLED', 'the server is shutting down', {
          hint: 'retry against another instance or after restart',
        }),
      );
    }
    if (inputs.length === 0) return Promise.resolve([]);
    if (this.depth + inputs.length > this.#opts.queueBound) {
      return Promise.reject(
        new DistilleryError(
          'OVERLOADED',
          `teacher "${this.#runner.info.name}" has ${this.depth} texts queued (bound ${this.#opts.queueBound})`,
          {
            hint: 'retry after the Retry-After delay, or send fewer texts per request',
          },
        ),
      );
    }
    const request = this.#nextRequest++;
    const key = specKey(spec);
    const maxLength = this.#runner.info.maxLength;
    const promises = inputs.map(
      (input) =>
        new Promise<TeacherOutput>((resolve, reject) => {
          this.#pending.push({
            input,
            spec,
            specKey: key,
            request,
            estTokens: estimateTokens(input, maxLength),
            resolve,
            reject,
          });
        }),
    );
    this.#schedule();
    return Promise.all(promises);
  }

  /**
   * A sliding window: the batch closes once no new text came for maxWaitMs, or maxDelayMs after it
   * opened. A fixed window is not enough: requests come in a few ms apart under load (and with a
   * teacher on the main thread, `thread: main`, everything that arrived during a model call is parsed
   * right after it), so a fixed 5 ms window would close after the first few of them.
   */
  #schedule(): void {
    if (this.#running || this.#pending.length === 0) return;
    const full = this.#pendingTokens() >= this.#opts.tokenBudget || this.#pending.length >= this.#opts.maxBatchTexts;
    this.#clearTimer();
    if (!this.#opts.enabled || full || this.#opts.maxWaitMs === 0 || this.#closed) {
      this.#start();
      return;
    }
    const now = performance.now();
    this.#windowStart ??= now;
    const wait = Math.max(0, Math.min(this.#opts.maxWaitMs, this.#windowStart + this.#opts.maxDelayMs - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, wait);
  }

  #pendingTokens(): number {
    let t = 0;
    for (const it of this.#pending) t += it.estTokens;
    return t;
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One model call; then the next batch gets its own window, so texts parsed meanwhile can join it. */
  #start(): void {
    if (this.#running || this.#pending.length === 0) return;
    this.#windowStart = undefined;
    this.#running = this.#run(this.#takeBatch()).finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
  }

  /** Oldest text first; only texts with the same output spec share a model call. */
  #takeBatch(): Item[] {
    const first = this.#pending[0]!;
    const batch: Item[] = [];
    const rest: Item[] = [];
    let longest = 0;
    for (const it of this.#pending) {
      const sameGroup = it.specKey === first.specKey && (this.#opts.enabled || it.request === first.request);
      const nextLongest = Math.max(longest, it.estTokens);
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

  async #run(batch: Item[]): Promise<void> {
    const unique = new Map<string, number>();
    const inputs: TextInput[] = [];
    const slot = batch.map((it) => {
      const k = inputKey(it.input);
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
      const outputs = await this.#runner.infer(inputs, batch[0]!.spec);
      expectOutputPerInput(this.#runner.info.name, outputs.length, inputs.length);
      for (const o of outputs) tokens += o.tokens;
      ok = true;
      batch.forEach((it, j) => it.resolve(outputs[slot[j]!]!));
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

  /** Refuses new texts, lets everything already queued finish. Safe to call twice. */
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
