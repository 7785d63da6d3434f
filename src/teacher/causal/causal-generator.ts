/**
 * A causal-LM teacher that writes: batched decoding over the export's KV cache, in the teacher's own
 * worker thread (the unmodified graph: its `logits` and `present.*` outputs), with the sampling step done
 * here (token-sampler.ts) from each request's own SeededRng. A request's text therefore depends only on
 * (teacher, prompt, params, its rng stream): not on the batch it shares, the padding side, or the order
 * in which batches run. Rows stop independently (an eos id, a stop string, max new tokens, the context)
 * and leave the cache when they do, so the later steps of a batch run only the rows still writing.
 * The graph also carries the teacher's chunked head over its logits (expose-targets.ts, keepLogits), so
 * a request that asks (`record`) gets what teacher-forced labelling would compute at each position it
 * wrote (decode-recorder.ts).
 */
import { readFileSync } from 'node:fs';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import PQueue from 'p-queue';
import { DistilleryError } from '../../core/errors.ts';
import type { SeededRng } from '../../core/seeded-rng.ts';
import type { Device } from '../devices.ts';
import { teacherFingerprint } from '../fingerprint.ts';
import { loadTokenizer } from '../hf-env.ts';
import { locateModelFiles } from '../model-files.ts';
import { openSession, type SessionThread } from '../session.ts';
import type { TeacherSession } from '../session-handle.ts';
import { causalInputs, readGraphInputs, type CausalInputs, type PaddingSide } from './causal-feeds.ts';
import { DecodeState, presentName } from './decode-state.ts';
import { type GenerationParams, resolveGenerationParams } from '../../core/generation-params.ts';
import { decodeResponse, encodePrompt, eosIds, stopIndex } from './generation-text.ts';
import {
  headFeeds,
  RECORD_FETCHES,
  type RecordOptions,
  type Recording,
  recordingGraph,
  RowRecorder,
} from './decode-recorder.ts';
import { type GenerateInput, SequenceInputError } from './sequence-input.ts';
import { logSumExp, rankedIds, sampleToken } from './token-sampler.ts';

export interface GeneratorLoadOptions {
  name: string;
  dir: string;
  dtype?: string;
  device?: Device;
  threads?: number;
  thread?: SessionThread;
  maxLength?: number;
  /** rows decoded together (default 8) */
  batchSize?: number;
  /** padding side of the prompts; the text is the same either way (default left) */
  paddingSide?: PaddingSide;
  /** where the graph with the recording head is cached; default: $TMPDIR/distillery-graphs */
  graphCacheDir?: string;
}

export interface GenerateRequest {
  input: GenerateInput;
  /** this response's own stream (e.g. rng.fork(`${exampleId}#${variant}`)); greedy decoding draws nothing */
  rng: SeededRng;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface Generation {
  text: string;
  /** the tokens written, the eos or the token that completed a stop string included */
  tokenIds: number[];
  /**
   * each written token's log-probability under the model (T = 1, before penalty and truncation); empty
   * when the call asked for none (a full-vocabulary log-sum-exp per token, the main host cost at large vocabularies)
   */
  logprobs: number[];
  /** per written token, when asked (`topLogprobs`): the most likely ids there and their log-probs (T = 1) */
  top?: TopLogprobs[];
  promptIds: number[];
  finish: FinishReason;
  /** per position written, what teacher-forced labelling computes there (when asked: `record`) */
  recording?: Recording;
}

export interface TopLogprobs {
  ids: number[];
  logprobs: number[];
}

export interface GenerateOptions {
  batchSize?: number;
  paddingSide?: PaddingSide;
  /** each written token's log-prob (default true) */
  logprobs?: boolean;
  /** also the n most likely tokens at each step, with their log-probs (default 0: none; at most 1,000) */
  topLogprobs?: number;
  /** record each step's labelling targets (needs `recordable`) */
  record?: RecordOptions;
}

export type GenerateResult = Generation | SequenceInputError;

interface Wanted {
  logprobs: boolean;
  top: number;
}

interface Row {
  prompt: number[];
  rng: SeededRng;
  ids: number[];
  logprobs: number[];
  top: TopLogprobs[];
  recorder: RowRecorder | undefined;
  finish?: FinishReason;
  text?: string;
}

const recorderOf = (record: RecordOptions | undefined) => (record ? new RowRecorder(record) : undefined);

export class CausalGenerator {
  readonly name: string;
  readonly fingerprint: string;
  readonly maxLength: number;
  readonly graph: CausalInputs;
  readonly eos: ReadonlySet<number>;
  /** whether {messages} prompts can be rendered */
  readonly chatTemplate: boolean;
  /** whether the graph carries the recording head (an export whose logits it could read) */
  readonly recordable: boolean;
  readonly queue = new PQueue({ concurrency: 1 });
  readonly #session: TeacherSession;
  readonly #tokenizer: PreTrainedTokenizer;
  readonly #padId: number;
  readonly #batchSize: number;
  readonly #paddingSide: PaddingSide;
  #disposed: Promise<void> | undefined;

  private constructor(init: {
    opts: GeneratorLoadOptions;
    fingerprint: string;
    maxLength: number;
    graph: CausalInputs;
    eos: Set<number>;
    session: TeacherSession;
    tokenizer: PreTrainedTokenizer;
    padId: number;
    recordable: boolean;
  }) {
    this.name = init.opts.name;
    this.fingerprint = init.fingerprint;
    this.maxLength = init.maxLength;
    this.graph = init.graph;
    this.eos = init.eos;
    this.recordable = init.recordable;
    this.#session = init.session;
    this.#tokenizer = init.tokenizer;
    this.chatTemplate = Boolean((init.tokenizer as unknown as { chat_template?: unknown }).chat_template);
    this.#padId = init.padId;
    this.#batchSize = init.opts.batchSize ?? 8;
    this.#paddingSide = init.opts.paddingSide ?? 'left';
    if (!(Number.isInteger(this.#batchSize) && this.#batchSize >= 1))
      throw new RangeError(`Expected \`batchSize\` to be an integer >= 1, got ${this.#batchSize}`);
  }

  static async load(opts: GeneratorLoadOptions): Promise<CausalGenerator> {
    const dtype = opts.dtype ?? 'fp32';
    const files = locateModelFiles(opts.dir, dtype);
    const c = files.config;
    const tokenizer = await loadTokenizer(opts.dir);
    const contextLength = Number(c.max_position_embeddings ?? c.n_positions ?? Infinity);
    const tokenizerMax = Number(files.tokenizerConfig.model_max_length ?? Infinity);
    const maxLength = Math.min(opts.maxLength ?? Infinity, contextLength, tokenizerMax, 1_000_000);
    if (!Number.isFinite(maxLength) || maxLength < 2)
      throw new DistilleryError('CONFIG_INVALID', `Cannot tell the context length of ${opts.dir}`, {
        hint: 'set max_position_embeddings in config.json or maxLength in the teacher config',
      });
    const graph = causalInputs(readGraphInputs(readFileSync(files.onnxPath)), c);
    if (graph.past.length === 0)
      throw new DistilleryError('CONFIG_INVALID', `The export in ${opts.dir} has no past_key_values inputs`, {
        hint: 'export it with its KV cache (optimum-cli export onnx --task text-generation-with-past)',
      });
    const eos = eosIds(opts.dir, c, tokenizer);
    if (eos.size === 0)
      throw new DistilleryError('CONFIG_INVALID', `Cannot tell the end-of-sequence token of ${opts.dir}`, {
        hint: 'set eos_token_id in config.json or eos_token in tokenizer_config.json',
      });
    const fingerprint = await teacherFingerprint(files, dtype, maxLength);
    const recording = recordingGraph(files, opts.graphCacheDir);
    const recordable = recording !== undefined;
    const { session } = await openSession({
      onnxPath: recording ?? files.onnxPath,
      device: opts.device ?? 'cpu',
      threads: opts.threads ?? 0,
      thread: opts.thread,
      label: `generator "${opts.name}"`,
    });
    const missing = graph.past.map((p) => presentName(p.name)).filter((n) => !session.outputNames.includes(n));
    if (!session.outputNames.includes('logits') || missing.length > 0) {
      await session.release();
      throw new DistilleryError('CONFIG_INVALID', `The export in ${opts.dir} lacks ${['logits', ...missing][0]}`, {
        hint: 'a generation teacher needs the logits and present.* outputs of a with-past export',
      });
    }
    const pad = (tokenizer as unknown as { pad_token_id?: number | null }).pad_token_id;
    const padId = Number(pad ?? [...eos][0]);
    return new CausalGenerator({ opts, fingerprint, maxLength, graph, eos, session, tokenizer, padId, recordable });
  }

  /** One response per request, in order; a request whose prompt cannot run gets its error in place. */
  async generate(
    requests: readonly GenerateRequest[],
    given: Partial<GenerationParams> = {},
    opts: GenerateOptions = {},
  ): Promise<GenerateResult[]> {
    if (this.#disposed) throw new DistilleryError('MODEL_LOAD_FAILED', `Generator ${this.name} was closed`);
    if (this.#session.failure) throw this.#session.failure;
    const params = resolveGenerationParams(given);
    const batchSize = opts.batchSize ?? this.#batchSize;
    if (!(Number.isInteger(batchSize) && batchSize >= 1))
      throw new DistilleryError('INVALID_INPUT', `batchSize: must be an integer >= 1, got ${batchSize}`);
    const wanted: Wanted = { logprobs: opts.logprobs ?? true, top: opts.topLogprobs ?? 0 };
    if (!(Number.isInteger(wanted.top) && wanted.top >= 0 && wanted.top <= 1000))
      throw new DistilleryError('INVALID_INPUT', `topLogprobs: must be an integer from 0 to 1000, got ${wanted.top}`, {
        details: { field: 'topLogprobs' },
      });
    if (opts.record && !this.recordable)
      throw new DistilleryError('INVALID_INPUT', `record: generator ${this.name} has no recording head`);
    const results = new Array<GenerateResult>(requests.length);
    const rows = new Map<number, Row>();
    requests.forEach((r, i) => {
      const prompt = encodePrompt(this.#tokenizer, r.input, this.maxLength);
      if (prompt instanceof SequenceInputError) results[i] = prompt;
      else rows.set(i, { prompt, rng: r.rng, ids: [], logprobs: [], top: [], recorder: recorderOf(opts.record) });
    });
    // similar lengths together: less padding; which rows share a batch never changes a row's text
    const order = [...rows.keys()].sort((a, b) => rows.get(a)!.prompt.length - rows.get(b)!.prompt.length || a - b);
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
    const side = opts.paddingSide ?? this.#paddingSide;
    await Promise.all(
      batches.map((batch) =>
        this.queue.add(() =>
          this.#decode(
            batch.map((i) => rows.get(i)!),
            params,
            side,
            wanted,
            opts.record,
          ),
        ),
      ),
    );
    for (const [i, row] of rows)
      results[i] = {
        text: row.text!,
        tokenIds: row.ids,
        logprobs: row.logprobs,
        ...(wanted.top > 0 ? { top: row.top } : {}),
        promptIds: row.prompt,
        finish: row.finish!,
        ...(row.recorder ? { recording: row.recorder.finish(row.prompt, row.ids) } : {}),
      };
    return results;
  }

  async #decode(
    batch: Row[],
    params: GenerationParams,
    side: PaddingSide,
    wanted: Wanted,
    record: RecordOptions | undefined,
  ): Promise<void> {
    const state = new DecodeState(
      batch.map((r) => r.prompt),
      this.#padId,
      side,
      this.graph,
    );
    const fetches = [...state.fetches(), ...(record ? RECORD_FETCHES : [])];
    const run = async (tokens?: number[]) => {
      const feeds = state.feeds(tokens);
      if (this.recordable) Object.assign(feeds, headFeeds(record, state.headRows()));
      const out = await this.#session.run(feeds, fetches);
      return { out, logits: state.absorb(out) };
    };
    let live = batch;
    let { out, logits } = await run();
    for (;;) {
      const keep: number[] = [];
      live.forEach((row, i) => {
        const rowLogits = logits[i]!;
        // a tail step: the row has stopped and only records the position after its last token
        if (row.finish) return row.recorder!.step(out, i, rowLogits);
        const token = sampleToken(rowLogits, [...row.prompt, ...row.ids], params, row.rng, false);
        row.ids.push(token.id);
        if (wanted.logprobs || wanted.top > 0) {
          // one full-vocabulary log-sum-exp per token serves both
          const lse = logSumExp(rowLogits);
          if (wanted.logprobs) row.logprobs.push(rowLogits[token.id]! - lse);
          if (wanted.top > 0) {
            const ids = rankedIds(rowLogits, Math.min(wanted.top, rowLogits.length));
            row.top.push({ ids, logprobs: ids.map((id) => rowLogits[id]! - lse) });
          }
        }
        row.recorder?.step(out, i, rowLogits, token.id);
        row.finish = this.#finish(row, params);
        if (!row.finish || (record && this.#wantsTail(row, record))) keep.push(i);
      });
      if (keep.length === 0) return;
      state.keep(keep);
      live = keep.map((i) => live[i]!);
      ({ out, logits } = await run(live.map((r) => r.ids.at(-1)!)));
    }
  }

  /**
   * Teacher-forced labelling appends eos to a response cut by max new tokens and scores the position
   * that predicts it: one more step records that position, while the context has room for it.
   */
  #wantsTail(row: Row, record: RecordOptions): boolean {
    return record.tail && row.finish === 'length' && row.prompt.length + row.ids.length < this.maxLength;
  }

  /** Why the row stops after its latest token (and its final text), or undefined while it goes on. */
  #finish(row: Row, params: GenerationParams): FinishReason | undefined {
    const last = row.ids.at(-1)!;
    if (this.eos.has(last)) {
      row.text = decodeResponse(this.#tokenizer, row.ids.slice(0, -1));
      return 'eos';
    }
    if (params.stop.length > 0) {
      const text = decodeResponse(this.#tokenizer, row.ids);
      const at = stopIndex(text, params.stop);
      if (at >= 0) {
        row.text = text.slice(0, at);
        return 'stop';
      }
    }
    if (row.ids.length >= params.maxNewTokens || row.prompt.length + row.ids.length >= this.maxLength) {
      row.text = decodeResponse(this.#tokenizer, row.ids);
      return 'length';
    }
    return undefined;
  }

  /** Safe to call twice: the second call gets the same promise. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      await this.queue.onIdle();
      await this.#session.release();
    })();
    return this.#disposed;
  }
}
