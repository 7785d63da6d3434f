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
import type { Device } from './devices.ts';
import { isCausalLm } from './causal/causal-task.ts';
import { teacherFingerprint } from './fingerprint.ts';
import { loadTokenizer } from './hf-env.ts';
import { locateModelFiles, type ModelFiles } from './model-files.ts';
import { extractBatch, type BatchTensor } from './output-extractor.ts';
import { graphOutputs, resolveSpec, type GraphOutputs } from './output-names.ts';
import { openSession, type SessionThread } from './session.ts';
import type { SessionTensor, TeacherSession } from './session-handle.ts';
import { TextEncoder, type EncodedText } from './text-encoder.ts';

export interface LoadOptions {
  name: string;
  dir: string;
  dtype?: string;
  device?: Device;
  threads?: number;
  /** where the session runs; default: its own worker thread (src/teacher/session.ts) */
  thread?: SessionThread;
  maxLength?: number;
  limits?: Partial<BatchLimits>;
  log?: (msg: string) => void;
}

export interface BatchStats {
  size: number;
  realTokens: number;
  paddedTokens: number;
}

function taskOf(config: Record<string, unknown>, logitsRank: number): TeacherInfo['task'] {
  const arch = String((config.architectures as string[] | undefined)?.[0] ?? '');
  if (arch.endsWith('ForMaskedLM') || logitsRank === 3) return 'fill-mask';
  return 'text-classification';
}

function labelsOf(config: Record<string, unknown>, n: number): string[] {
  const id2label = (config.id2label ?? {}) as Record<string, string>;
  return Array.from({ length: n }, (_, i) => id2label[String(i)] ?? `LABEL_${i}`);
}

export class OnnxTeacher implements TeacherRunner {
  readonly info: TeacherInfo;
  readonly files: ModelFiles;
  readonly outputs: GraphOutputs;
  readonly queue: PQueue;
  readonly limits: BatchLimits;
  /** called after each batch; the HTTP metrics hook in here */
  onBatch: ((stats: BatchStats) => void) | undefined;
  #session: TeacherSession;
  #encoder: TextEncoder;
  #inputNames: Set<string>;
  #disposed = false;
  #failedBeforeClose: DistilleryError | undefined;

  private constructor(init: {
    info: TeacherInfo;
    files: ModelFiles;
    session: TeacherSession;
    encoder: TextEncoder;
    outputs: GraphOutputs;
    limits: BatchLimits;
  }) {
    this.info = init.info;
    this.files = init.files;
    this.#session = init.session;
    this.#encoder = init.encoder;
    this.outputs = init.outputs;
    this.limits = init.limits;
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
    const { session, device } = await openSession({
      onnxPath: files.onnxPath,
      device: opts.device ?? 'cpu',
      threads: opts.threads,
      thread: opts.thread,
      label: `teacher "${opts.name}"`,
      onDevice: (d, tried) =>
        opts.log?.(`teacher ${opts.name}: running on ${d}${tried.length ? ` (unavailable: ${tried.join('; ')})` : ''}`),
    });
    try {
      const outputs = graphOutputs(session.outputNames);
      const logitsMeta = session.outputMetadata.find((m) => m.name === 'logits');
      const logitsShape = logitsMeta && logitsMeta.isTensor ? logitsMeta.shape : [];
      const task = taskOf(files.config, logitsShape.length);
      const numLabels =
        task === 'text-classification'
          ? Number(logitsShape[1]) || Object.keys((files.config.id2label ?? {}) as object).length
          : 0;
      const info: TeacherInfo = {
        name: opts.name,
        fingerprint,
        task,
        labels: task === 'text-classification' ? labelsOf(files.config, numLabels) : [],
        device,
        dtype,
        maxLength,
        hiddenLayers: outputs.hiddenLayers.length,
        attentionLayers: outputs.attentionLayers.length,
      };
      return new OnnxTeacher({
        info,
        files,
        session,
        encoder: new TextEncoder(tokenizer, maxLength),
        outputs,
        limits: { ...DEFAULT_BATCH_LIMITS, ...opts.limits },
      });
    } catch (err) {
      // the session (and its thread) would otherwise outlive a teacher that never came to be
      await session.release();
      throw err;
    }
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
    return this.inferEncoded(this.encode(inputs), spec, opts);
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
    const pad = BigInt(this.#encoder.padId);
    rows.forEach((r, b) => {
      const off = b * seq;
      for (let p = 0; p < seq; p++) {
        const real = p < r.ids.length;
        ids[off + p] = real ? BigInt(r.ids[p]!) : pad;
        mask[off + p] = real ? 1n : 0n;
        types[off + p] = real ? BigInt(r.typeIds[p]!) : 0n;
      }
    });
    const dims = [n, seq];
    const feeds: Record<string, SessionTensor> = {
      input_ids: { type: 'int64', data: ids, dims },
      attention_mask: { type: 'int64', data: mask, dims },
    };
    if (this.#inputNames.has('token_type_ids')) feeds.token_type_ids = { type: 'int64', data: types, dims };
    const out = await this.#session.run(feeds, fetches);
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
    await this.#session.release();
  }
}
