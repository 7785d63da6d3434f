/**
 * A teacher: a Hugging Face-layout ONNX model run by onnxruntime-node, tokenized by transformers.js.
 * Inputs are length-sorted into token-budget batches; every batch goes through one queue per teacher,
 * so concurrent callers never run the model at the same time and the queue depth is observable. The
 * model itself runs in the teacher's own worker thread (src/teacher/worker-session.ts).
 */
import PQueue from 'p-queue';
import { DistilleryError } from '../core/errors.ts';
import { decodeFloat16 } from '../core/float16.ts';
import type { OutputSpec, TeacherInfo, TeacherOutput, TeacherRunner, TextInput } from '../core/types.ts';
import { DEFAULT_BATCH_LIMITS, planBatches, type BatchLimits } from './batch-planner.ts';
import { FP16_ON_CPU_NOTE, type Device } from './devices.ts';
import { isCausalLm } from './causal/causal-task.ts';
import { teacherFingerprint } from './fingerprint.ts';
import { describeTeacher } from './teacher-info.ts';
import { loadTokenizer } from './hf-env.ts';
import { locateModelFiles, type ModelFiles } from './model-files.ts';
import { fillInt64Feeds } from './int64-feeds.ts';
import { extractBatch, type BatchTensor } from './output-extractor.ts';
import { resolveSpec, type GraphOutputs } from './output-names.ts';
import { PrunedGraphs } from './pruned-graphs.ts';
import { openSession, type SessionThread } from './session.ts';
import type { SessionTensor, TeacherSession } from './session-handle.ts';
import { TextEncoder, type EncodedText } from './text-encoder.ts';
import { TokenizerThread } from './tokenizer-thread.ts';

/**
 * Calls with more texts than this are tokenized chunk by chunk, each chunk while the previous one's
 * batches run in the session thread, and (once the teacher's tokenizer thread is up) off the main
 * thread. Smaller calls, such as the labeller's token-budget calls and HTTP requests, keep their one
 * length-sorted plan, so their batches are exactly what they were.
 */
export const PIPELINE_MIN_TEXTS = 4096;
/** Texts per chunk: enough to length-sort well (padding) and short enough to start the model early. */
export const PIPELINE_CHUNK = 2048;

export interface LoadOptions {
  name: string;
  dir: string;
  dtype?: string;
  device?: Device;
  threads?: number;
  /** where the session runs; default: its own worker thread (src/teacher/session.ts) */
  thread?: SessionThread;
  /** tokenize large calls in a worker thread (default: when the session runs in one) */
  tokenizeOffThread?: boolean;
  maxLength?: number;
  limits?: Partial<BatchLimits>;
  log?: (msg: string) => void;
  /**
   * Run a copy of the graph pruned to the outputs asked for (src/teacher/pruned-graphs.ts). Default: on
   * for float graphs (fp32, fp16), where the pruned graph stays within float rounding of the whole one;
   * off for quantized graphs, where the kernels onnxruntime fuses once the extra outputs are gone
   * quantize differently (logits moved by up to 0.09 on the BERT-base bench model at q8), and the store
   * would then mix outputs of two numerically different graphs under one fingerprint.
   */
  pruneOutputs?: boolean;
}

export interface BatchStats {
  size: number;
  realTokens: number;
  paddedTokens: number;
}

export class OnnxTeacher implements TeacherRunner {
  readonly info: TeacherInfo;
  readonly files: ModelFiles;
  readonly outputs: GraphOutputs;
  readonly queue: PQueue;
  readonly limits: BatchLimits;
  /** why the teacher runs where it does: devices `auto` passed over, and the fp16-on-CPU caveat */
  readonly deviceNotes: readonly string[];
  /** called after each batch; the HTTP metrics hook in here */
  onBatch: ((stats: BatchStats) => void) | undefined;
  #session: TeacherSession;
  #graphs: PrunedGraphs | undefined;
  #encoder: TextEncoder;
  #inputNames: Set<string>;
  #disposed = false;
  #failedBeforeClose: DistilleryError | undefined;
  #tokenizeOffThread: boolean;
  #tokenizer: TokenizerThread | undefined;
  /** texts tokenized by the tokenizer thread (tests and benchmarks read it) */
  textsTokenizedOffThread = 0;

  private constructor(init: {
    info: TeacherInfo;
    files: ModelFiles;
    session: TeacherSession;
    encoder: TextEncoder;
    outputs: GraphOutputs;
    limits: BatchLimits;
    deviceNotes: string[];
    tokenizeOffThread: boolean;
    graphs: PrunedGraphs | undefined;
  }) {
    this.info = init.info;
    this.files = init.files;
    this.#session = init.session;
    this.#graphs = init.graphs;
    this.#encoder = init.encoder;
    this.#tokenizeOffThread = init.tokenizeOffThread;
    this.outputs = init.outputs;
    this.limits = init.limits;
    this.deviceNotes = init.deviceNotes;
    this.#inputNames = new Set(init.session.inputNames);
    this.queue = new PQueue({ concurrency: 1 });
  }

  static async load(opts: LoadOptions): Promise<OnnxTeacher> {
    const dtype = opts.dtype ?? 'fp32';
    const files = locateModelFiles(opts.dir, dtype);
    if (isCausalLm(files.config)) {
      throw new DistilleryError('INVALID_INPUT', `Teacher "${opts.name}" is a causal LM (task text-generation)`, {
        hint: 'it scores sequences per token: use it for {prompt,response}, {messages} or {text} rows, not for labels',
      });
    }
    const tokenizer = await loadTokenizer(opts.dir);
    const maxPositions = Number(files.config.max_position_embeddings ?? Infinity);
    const tokenizerMax = Number(files.tokenizerConfig.model_max_length ?? Infinity);
    const maxLength = Math.min(opts.maxLength ?? Infinity, tokenizerMax, maxPositions, 1_000_000);
    if (!Number.isFinite(maxLength) || maxLength < 2) {
      throw new DistilleryError('CONFIG_INVALID', `Cannot tell the max length of ${opts.dir}`, {
        hint: 'set model_max_length in tokenizer_config.json or maxLength in the teacher config',
      });
    }
    const fingerprint = await teacherFingerprint(files, dtype, maxLength);
    const deviceNotes: string[] = [];
    const { session, device } = await openSession({
      onnxPath: files.onnxPath,
      device: opts.device ?? 'cpu',
      threads: opts.threads,
      thread: opts.thread,
      label: `teacher "${opts.name}"`,
      onDevice: (d, tried) => {
        deviceNotes.push(...tried.map((t) => `auto passed over ${t}`));
        opts.log?.(`teacher ${opts.name}: running on ${d}${tried.length ? ` (unavailable: ${tried.join('; ')})` : ''}`);
      },
    });
    if (dtype === 'fp16' && device === 'cpu') {
      deviceNotes.push(FP16_ON_CPU_NOTE);
      opts.log?.(`teacher ${opts.name}: ${FP16_ON_CPU_NOTE}`);
    }
    try {
      const { info, outputs } = describeTeacher(session, files.config, {
        name: opts.name,
        fingerprint,
        device,
        dtype,
        maxLength,
      });
      return new OnnxTeacher({
        info,
        files,
        session,
        encoder: new TextEncoder(tokenizer, maxLength),
        outputs,
        limits: { ...DEFAULT_BATCH_LIMITS, ...opts.limits },
        deviceNotes,
        tokenizeOffThread: opts.tokenizeOffThread ?? (opts.thread ?? 'worker') === 'worker',
        graphs:
          (opts.pruneOutputs ?? (dtype === 'fp32' || dtype === 'fp16'))
            ? new PrunedGraphs(session, files.onnxPath, opts.log)
            : undefined,
      });
    } catch (err) {
      // the session (and its thread) would otherwise outlive a teacher that never came to be
      await session.release();
      throw err;
    }
  }

  /** the graphs pruned to the outputs asked for so far (undefined when loaded with pruneOutputs: false) */
  get graphs(): PrunedGraphs | undefined {
    return this.#graphs;
  }

  /** the onnxruntime session (in its worker thread unless loaded with thread: 'main') */
  get session(): TeacherSession {
    return this.#session;
  }

  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  /** Why this teacher can no longer run (its session thread died); undefined while it can. */
  get failure(): DistilleryError | undefined {
    return this.#session.failure;
  }

  /** Called once if the teacher becomes unable to run (immediately if it already is). */
  onFailure(listener: (err: DistilleryError) => void): void {
    this.#session.onFailure(listener);
  }

  /** Tokenizes without running the model (length sorting, budgets, benchmarks). */
  encode(inputs: readonly TextInput[]): EncodedText[] {
    return inputs.map((input) => this.#encoder.encode(input));
  }

  async infer(inputs: TextInput[], spec: OutputSpec, opts: { signal?: AbortSignal } = {}): Promise<TeacherOutput[]> {
    if (inputs.length <= PIPELINE_MIN_TEXTS) return this.inferEncoded(this.encode(inputs), spec, opts);
    return this.#inferPipelined(inputs, spec, opts);
  }

  /**
   * Starts the tokenizer thread (the first large call does so by itself) and resolves once it is up;
   * rejects if it cannot start, and large calls then tokenize on the main thread.
   */
  startTokenizerThread(): Promise<void> {
    if (this.#disposed)
      return Promise.reject(new DistilleryError('MODEL_LOAD_FAILED', `Teacher ${this.info.name} was closed`));
    if (!this.#tokenizer || this.#tokenizer.failure) {
      this.#tokenizer = new TokenizerThread(this.files.dir, this.info.maxLength);
    }
    return this.#tokenizer.ready;
  }

  /**
   * Chunk k+1 is tokenized while chunk k's batches run: by the tokenizer thread once it is up (it takes
   * a second or two to start, so it starts on the first large call), on the main thread until then.
   * Every chunk's batches go into the teacher's queue in order, so the model never waits for tokens.
   */
  async #inferPipelined(
    inputs: TextInput[],
    spec: OutputSpec,
    opts: { signal?: AbortSignal },
  ): Promise<TeacherOutput[]> {
    if (this.#tokenizeOffThread) void this.startTokenizerThread().catch(() => {});
    const running: Promise<TeacherOutput[]>[] = [];
    try {
      for (let start = 0; start < inputs.length; start += PIPELINE_CHUNK) {
        opts.signal?.throwIfAborted();
        const chunk = inputs.slice(start, start + PIPELINE_CHUNK);
        const tokenizer = this.#tokenizer;
        let encoded: EncodedText[] | undefined;
        if (tokenizer?.isReady) {
          encoded = await tokenizer.encode(chunk).catch(() => undefined);
          if (encoded) this.textsTokenizedOffThread += chunk.length;
        }
        // let the batches queued so far reach the session thread before tokenizing here
        if (!encoded) await new Promise((resolve) => setImmediate(resolve));
        const call = this.inferEncoded(encoded ?? this.encode(chunk), spec, opts);
        call.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
        running.push(call);
      }
    } finally {
      // whatever happened, no queued chunk is left running unobserved
      await Promise.allSettled(running);
    }
    return (await Promise.all(running)).flat();
  }

  async inferEncoded(
    encoded: readonly EncodedText[],
    spec: OutputSpec,
    opts: { signal?: AbortSignal } = {},
  ): Promise<TeacherOutput[]> {
    // The registry disposes a teacher whose thread died: a caller that already held it must learn why it
    // failed (the crash), not that it was closed as a consequence.
    if (this.#disposed)
      throw this.#failedBeforeClose ?? new DistilleryError('MODEL_LOAD_FAILED', `Teacher ${this.info.name} was closed`);
    if (this.failure) throw this.failure;
    const resolved = resolveSpec(spec, this.outputs, this.files.dir);
    const lengths = encoded.map((e) => e.ids.length);
    const batches = planBatches(lengths, this.limits);
    const results = new Array<TeacherOutput>(encoded.length);
    const { signal } = opts;
    signal?.throwIfAborted();
    // One abort listener per call, not one per batch (p-queue's own `signal` option): a call has dozens of
    // batches, and more than 10 listeners on one signal print MaxListenersExceededWarning amid the progress
    // stream. Queued batches still skip their work once aborted (the check at their start).
    const all = Promise.all(
      batches.map((batch) =>
        this.queue.add(async () => {
          signal?.throwIfAborted();
          const rows = batch.map((i) => encoded[i]!);
          const tensors = await this.#run(rows, resolved.fetches);
          const outs = extractBatch(
            tensors,
            rows.map((r) => r.ids.length),
            rows.map((r) => r.truncated),
            spec,
            resolved,
            this.info.task === 'fill-mask',
          );
          batch.forEach((i, k) => (results[i] = outs[k]!));
        }),
      ),
    );
    if (!signal) await all;
    else {
      let onAbort!: () => void;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([all, aborted]);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
    return results;
  }

  async #run(rows: readonly EncodedText[], fetches: string[]): Promise<Record<string, BatchTensor>> {
    const seq = Math.max(...rows.map((r) => r.ids.length));
    const n = rows.length;
    const ids = new BigInt64Array(n * seq);
    const mask = new BigInt64Array(n * seq);
    const types = new BigInt64Array(n * seq);
    fillInt64Feeds(rows, seq, this.#encoder.padId, ids, mask, types);
    const dims = [n, seq];
    const feeds: Record<string, SessionTensor> = {
      input_ids: { type: 'int64', data: ids, dims },
      attention_mask: { type: 'int64', data: mask, dims },
    };
    if (this.#inputNames.has('token_type_ids')) feeds.token_type_ids = { type: 'int64', data: types, dims };
    // In the same queued task as the run, so the graph cannot be closed in between.
    const graph = await this.#graphs?.graphFor(fetches);
    const out = await this.#session.run(feeds, fetches, graph);
    this.onBatch?.({ size: n, realTokens: rows.reduce((s, r) => s + r.ids.length, 0), paddedTokens: n * seq });
    const tensors: Record<string, BatchTensor> = {};
    for (const name of fetches) {
      const t = out[name]!;
      // fp16 graphs hand back raw halves; everything downstream works in float32.
      const data = t.type === 'float16' ? decodeFloat16(t.data as Uint16Array) : (t.data as Float32Array);
      tensors[name] = { data, dims: t.dims };
    }
    return tensors;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // (releasing the session sets a "released" failure of its own; the one before it is the cause)
    this.#failedBeforeClose = this.failure;
    await this.queue.onIdle();
    await this.#tokenizer?.release();
    await this.#session.release();
  }
}
