/**
 * A text-generation teacher: a causal-LM ONNX export scored teacher-forced, one forward over each
 * whole sequence (no generation), producing per-position targets (src/core/sequence-types.ts).
 * The session runs the export with the targets nodes appended (targets-graph.ts) in the teacher's
 * worker thread, so full-vocabulary logits stay inside onnxruntime. Rows are length-sorted into
 * token-budget batches and go through one queue, like OnnxTeacher.
 */
import PQueue from 'p-queue';
import { DistilleryError } from '../../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../core/sequence-types.ts';
import { DEFAULT_BATCH_LIMITS, planBatches, type BatchLimits } from '../batch-planner.ts';
import type { Device } from '../devices.ts';
import { teacherFingerprint } from '../fingerprint.ts';
import { loadTokenizer } from '../hf-env.ts';
import { locateModelFiles, type ModelFiles } from '../model-files.ts';
import { openSession, type SessionThread } from '../session.ts';
import type { TeacherSession } from '../session-handle.ts';
import {
  buildFeeds,
  causalInputs,
  readGraphInputs,
  scoredRowFeeds,
  type CausalInputs,
  type PaddingSide,
} from './causal-feeds.ts';
import { TARGET_INPUTS, TARGET_OUTPUTS } from './expose-targets.ts';
import {
  DEFAULT_SEQUENCE_OPTIONS,
  type EncodedSequence,
  type SequenceInput,
  SequenceInputError,
  type SequenceOptions,
} from './sequence-input.ts';
import { SequenceEncoder } from './sequence-encoder.ts';
import { defaultGraphCache, targetsGraph } from './targets-graph.ts';
import { extractRow, type TargetTensors } from './target-extractor.ts';

interface RunOutput {
  tensors: TargetTensors;
  /** index of each row's first scored position among the graph's rows */
  starts: number[];
}

export interface CausalLoadOptions {
  name: string;
  dir: string;
  dtype?: string;
  device?: Device;
  threads?: number;
  thread?: SessionThread;
  maxLength?: number;
  limits?: Partial<BatchLimits>;
  /** where the rewritten graph is cached; default: $TMPDIR/distillery-graphs */
  graphCacheDir?: string;
  /** padding side of batches; outputs are the same either way (default right) */
  paddingSide?: PaddingSide;
  /** top-M the samples are drawn from, when larger than k (default 256) */
  sampleSupport?: number;
  /**
   * Scored rows per head chunk x vocabulary: the size of each [chunk, vocab] tensor inside the graph
   * (default HEAD_CHUNK_ELEMENTS), which bounds the graph's memory whatever the batch.
   */
  chunkElements?: number;
  log?: (msg: string) => void;
}

/**
 * Default floats per [chunk, vocab] tensor of the head: 2^22 (16 MiB; 27 rows at a 151,936 vocabulary).
 * 2^24 (64 MiB) ran the head ~1.3x slower: fewer rows per chunk keep the passes after the product
 * closer to cache, while each chunk still has enough rows to amortize reading the head's matrix.
 */
export const HEAD_CHUNK_ELEMENTS = 2 ** 22;

export interface CausalTeacherInfo {
  name: string;
  fingerprint: string;
  task: 'text-generation';
  architecture: string;
  vocabSize: number;
  maxLength: number;
  chatTemplate: boolean;
  device: string;
  dtype: string;
  /** what a SequenceOutputSpec may ask for */
  outputs: { topK: boolean; samples: boolean; target: boolean; hidden: boolean };
}

/** One row to score; `seed` names the example's sampling stream (default: its token ids). */
export interface ScoreRequest {
  input: SequenceInput;
  seed?: string;
}

export type ScoreResult = SequenceTargets | SequenceInputError;

export class CausalTeacher {
  readonly info: CausalTeacherInfo;
  readonly files: ModelFiles;
  readonly limits: BatchLimits;
  readonly queue = new PQueue({ concurrency: 1 });
  readonly encoder: SequenceEncoder;
  readonly graph: CausalInputs;
  readonly #session: TeacherSession;
  readonly #padId: number;
  readonly #paddingSide: PaddingSide;
  readonly #sampleSupport: number;
  readonly #hiddenSize: number;
  readonly #chunkElements: number;
  #disposed: Promise<void> | undefined;
  #forwards = 0;

  private constructor(init: {
    info: CausalTeacherInfo;
    files: ModelFiles;
    session: TeacherSession;
    encoder: SequenceEncoder;
    graph: CausalInputs;
    padId: number;
    opts: CausalLoadOptions;
  }) {
    this.info = init.info;
    this.files = init.files;
    this.#session = init.session;
    this.encoder = init.encoder;
    this.graph = init.graph;
    this.#padId = init.padId;
    this.limits = { ...DEFAULT_BATCH_LIMITS, ...init.opts.limits };
    this.#paddingSide = init.opts.paddingSide ?? 'right';
    this.#sampleSupport = init.opts.sampleSupport ?? 256;
    this.#chunkElements = init.opts.chunkElements ?? HEAD_CHUNK_ELEMENTS;
    const c = init.files.config;
    this.#hiddenSize = Number(c.hidden_size ?? c.n_embd ?? c.d_model ?? 0);
  }

  static async load(opts: CausalLoadOptions): Promise<CausalTeacher> {
    const dtype = opts.dtype ?? 'fp32';
    const files = locateModelFiles(opts.dir, dtype);
    const tokenizer = await loadTokenizer(opts.dir);
    const c = files.config;
    const contextLength = Number(c.max_position_embeddings ?? c.n_positions ?? Infinity);
    const tokenizerMax = Number(files.tokenizerConfig.model_max_length ?? Infinity);
    const maxLength = Math.min(opts.maxLength ?? Infinity, contextLength, tokenizerMax, 1_000_000);
    if (!Number.isFinite(maxLength) || maxLength < 2) {
      throw new DistilleryError('CONFIG_INVALID', `Cannot tell the context length of ${opts.dir}`, {
        hint: 'set max_position_embeddings in config.json or maxLength in the teacher config',
      });
    }
    const vocabSize = Number(c.vocab_size);
    if (!Number.isInteger(vocabSize) || vocabSize < 2) {
      throw new DistilleryError('MODEL_LOAD_FAILED', `config.json in ${opts.dir} has no vocab_size`);
    }
    const graphFile = targetsGraph(files.onnxPath, files.externalData, opts.graphCacheDir ?? defaultGraphCache());
    const graphInputs = readGraphInputs(graphFile.bytes);
    if (!Object.values(TARGET_INPUTS).every((name) => graphInputs.some((i) => i.name === name))) {
      throw new DistilleryError(
        'CONFIG_INVALID',
        `The graph in ${opts.dir} has k or T baked in (a copy from expose-topk --k/--temperature)`,
        {
          hint: 'point the teacher at the original export: it adds the targets nodes with k as an input at load',
        },
      );
    }
    const graph = causalInputs(graphInputs, c);
    const fingerprint = await teacherFingerprint(files, dtype, maxLength);
    const { session, device } = await openSession({
      onnxPath: graphFile.path,
      device: opts.device ?? 'cpu',
      // 0 = onnxruntime's own choice. Naming the core count explicitly ran this graph 1.5-1.9x slower on
      // the loaded 2-core VM (bench/causal-teacher.ts, docs/LLM-TEACHERS.md).
      threads: opts.threads ?? 0,
      // The head allocates and frees a few [chunk, vocab] tensors per chunk; without the arena each one
      // is fresh memory from the OS, page-faulted in again every chunk (4-10x slower on the head,
      // docs/LLM-TEACHERS.md). Chunking bounds what the arena keeps.
      arena: true,
      thread: opts.thread,
      label: `teacher "${opts.name}"`,
      onDevice: (d) => opts.log?.(`teacher ${opts.name}: running on ${d}`),
    });
    const encoder = new SequenceEncoder(tokenizer, maxLength);
    const pad = (tokenizer as unknown as { pad_token_id?: number | null }).pad_token_id;
    const info: CausalTeacherInfo = {
      name: opts.name,
      fingerprint,
      task: 'text-generation',
      architecture: String((c.architectures as string[] | undefined)?.[0] ?? c.model_type ?? 'unknown'),
      vocabSize,
      maxLength,
      chatTemplate: encoder.hasChatTemplate,
      device,
      dtype,
      outputs: { topK: true, samples: true, target: true, hidden: graphFile.hidden },
    };
    const padId = pad ?? encoder.eosId ?? 0;
    return new CausalTeacher({ info, files, session, encoder, graph, padId: Number(padId), opts });
  }

  /** Teacher-forced forwards run so far (one per batch): what labelling from a recording saves. */
  get forwards(): number {
    return this.#forwards;
  }

  /** Why this teacher can no longer run (its session thread died); undefined while it can. */
  get failure(): DistilleryError | undefined {
    return this.#session.failure;
  }

  /** Throws a 422-class error naming the spec field that this teacher cannot honour. */
  validateSpec(spec: SequenceOutputSpec): void {
    const bad = (field: string, message: string) =>
      new DistilleryError('INVALID_INPUT', `${field}: ${message}`, { details: { field } });
    if (!(spec.temperature > 0) || !Number.isFinite(spec.temperature))
      throw bad('temperature', 'must be a finite number > 0');
    const { vocabSize } = this.info;
    if (spec.topK !== undefined && (!Number.isInteger(spec.topK) || spec.topK < 1 || spec.topK > vocabSize)) {
      throw bad('topK', `must be an integer from 1 to the vocabulary size ${vocabSize}, got ${spec.topK}`);
    }
    if (
      spec.samples &&
      (!Number.isInteger(spec.samples.draws) || spec.samples.draws < 1 || spec.samples.draws > 65535)
    ) {
      throw bad('samples.draws', `must be an integer from 1 to 65535, got ${spec.samples.draws}`);
    }
    if (spec.hidden && !this.info.outputs.hidden) {
      throw bad('hidden', 'this graph has no MatMul head whose input could be exposed');
    }
  }

  encode(
    inputs: readonly SequenceInput[],
    opts: Partial<SequenceOptions> = {},
  ): (EncodedSequence | SequenceInputError)[] {
    const o = { ...DEFAULT_SEQUENCE_OPTIONS, ...opts };
    return inputs.map((i) => this.encoder.encode(i, o));
  }

  async score(
    requests: readonly ScoreRequest[],
    spec: SequenceOutputSpec,
    opts: Partial<SequenceOptions> & { paddingSide?: PaddingSide } = {},
  ): Promise<ScoreResult[]> {
    const encoded = this.encode(
      requests.map((r) => r.input),
      opts,
    );
    return this.scoreEncoded(encoded, spec, {
      seeds: requests.map((r, i) => {
        const e = encoded[i]!;
        return r.seed ?? (e instanceof SequenceInputError ? '' : seedOf(e));
      }),
      paddingSide: opts.paddingSide,
    });
  }

  /** Scores rows already encoded; rows that are errors pass through in place. */
  async scoreEncoded(
    encoded: readonly (EncodedSequence | SequenceInputError)[],
    spec: SequenceOutputSpec,
    opts: { seeds?: readonly string[]; paddingSide?: PaddingSide } = {},
  ): Promise<ScoreResult[]> {
    if (this.#disposed) throw new DistilleryError('MODEL_LOAD_FAILED', `Teacher ${this.info.name} was closed`);
    if (this.failure) throw this.failure;
    this.validateSpec(spec);
    const results = new Array<ScoreResult>(encoded.length);
    const valid: number[] = [];
    encoded.forEach((e, i) => (e instanceof SequenceInputError ? (results[i] = e) : valid.push(i)));
    const rows = valid.map((i) => encoded[i] as EncodedSequence);
    const batches = planBatches(
      rows.map((r) => r.ids.length),
      this.limits,
    );
    const side = opts.paddingSide ?? this.#paddingSide;
    await Promise.all(
      batches.map((batch) =>
        this.queue.add(async () => {
          const batchRows = batch.map((b) => rows[b]!);
          const { tensors, starts } = await this.#run(batchRows, spec, side);
          batch.forEach((b, r) => {
            const i = valid[b]!;
            results[i] = extractRow(tensors, starts[r]!, batchRows[r]!, spec, opts.seeds?.[i] ?? seedOf(batchRows[r]!));
          });
        }),
      ),
    );
    return results;
  }

  /** The graph's K: enough for the top-k slice and for the sampling support. */
  support(spec: SequenceOutputSpec): number {
    const want = Math.max(spec.topK ?? 1, spec.samples ? this.#sampleSupport : 1);
    return Math.min(want, this.info.vocabSize);
  }

  async #run(rows: readonly EncodedSequence[], spec: SequenceOutputSpec, side: PaddingSide): Promise<RunOutput> {
    const { feeds, seq, offsets } = buildFeeds(
      rows.map((r) => r.ids),
      this.#padId,
      side,
      this.graph,
    );
    const scored = scoredRowFeeds(rows, seq, offsets, Math.floor(this.#chunkElements / this.info.vocabSize));
    Object.assign(feeds, scored.feeds);
    const { starts } = scored;
    const support = this.support(spec);
    feeds[TARGET_INPUTS.temperature] = { type: 'float32', data: Float32Array.of(spec.temperature), dims: [1] };
    feeds[TARGET_INPUTS.k] = { type: 'int64', data: BigInt64Array.of(BigInt(support)), dims: [1] };
    const fetches: string[] = [TARGET_OUTPUTS.lse];
    if (spec.topK || spec.samples) fetches.push(TARGET_OUTPUTS.topkLogprobs, TARGET_OUTPUTS.topkIds);
    if (spec.target) fetches.push(TARGET_OUTPUTS.entropy, TARGET_OUTPUTS.nextLogprob, TARGET_OUTPUTS.nextRank);
    if (spec.hidden) fetches.push(TARGET_OUTPUTS.hidden);
    this.#forwards++;
    const out = await this.#session.run(feeds, fetches);
    const f32 = (name: string) => out[name]?.data as Float32Array | undefined;
    const tensors: TargetTensors = {
      support,
      lse: f32(TARGET_OUTPUTS.lse)!,
      topkLogprobs: f32(TARGET_OUTPUTS.topkLogprobs),
      topkIds: out[TARGET_OUTPUTS.topkIds]?.data as BigInt64Array | undefined,
      entropy: f32(TARGET_OUTPUTS.entropy),
      nextLogprob: f32(TARGET_OUTPUTS.nextLogprob),
      nextRank: f32(TARGET_OUTPUTS.nextRank),
      hidden: out[TARGET_OUTPUTS.hidden]?.data as Uint16Array | undefined,
      hiddenSize: this.#hiddenSize,
    };
    return { tensors, starts };
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

/** A row's default sampling seed: its token ids, so the same sequence always draws the same samples. */
export function seedOf(e: EncodedSequence): string {
  return `ids:${e.ids.join(',')}`;
}
