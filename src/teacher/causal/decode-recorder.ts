/**
 * What a generation records for labelling its own tokens (issue 15: "the generation's per-token
 * distributions come for free: store them, do not recompute"). The generator's graph carries the
 * teacher's chunked head reading its `logits` (expose-targets.ts, keepLogits), so at every decode step
 * the head computes, for each live row's next-token position and from the step's raw logits (before
 * repetition penalty, sampling temperature and truncation), what a teacher-forced forward computes
 * there: log-probs at the labelling T, top-K, lse, entropy, and the log-prob and rank of one fixed token
 * (`alternative`: the eos that teacher-forced labelling appends). The token actually sampled is known
 * only after the step ran, so its log-prob and rank are computed here (tokenTarget) from the same
 * logits, with the head's float32 arithmetic. recorded-targets.ts turns a Recording into the
 * SequenceTargets of the row's teacher-forced encoding, or says it cannot.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { ModelFiles } from '../model-files.ts';
import type { SessionTensor } from '../session-handle.ts';
import { TARGET_INPUTS, TARGET_OUTPUTS } from './expose-targets.ts';
import { defaultGraphCache, targetsGraph } from './targets-graph.ts';

export interface RecordOptions {
  /** the labelling temperature T (the job's spec) */
  temperature: number;
  /** K of the head's TopK: the labelling teacher's support(spec), so samples draw from the same top-M */
  support: number;
  /** the token whose log-prob and rank the head computes at every step (-1: none) */
  alternative: number;
  /** after a row stops on max new tokens, one more step records the position after its last token */
  tail: boolean;
}

/** Per decode step s of one row: the targets of position `first + s` (context tokens[0 .. first + s]). */
export interface Recording {
  /** the prompt and every token written */
  tokens: number[];
  /** position of step 0: the prompt's last token */
  first: number;
  /** steps whose sampled token is tokens[first + s + 1] (the rest: a tail step) */
  written: number;
  support: number;
  alternative: number;
  lse: Float32Array;
  entropy: Float32Array;
  /** [steps, support], most likely first (held until the chunk is stored: support x 12 bytes per step) */
  topkLogprobs: Float32Array;
  topkIds: BigInt64Array;
  sampled: { logprob: Float32Array; rank: Float32Array };
  alt: { logprob: Float32Array; rank: Float32Array };
}

/**
 * The generator's graph: the export with the recording head appended (cached like the teacher's), or
 * undefined for an export it cannot be appended to, which still writes but records nothing.
 */
export function recordingGraph(files: ModelFiles, cacheDir = defaultGraphCache()): string | undefined {
  try {
    return targetsGraph(files.onnxPath, files.externalData, cacheDir, { keepLogits: true }).path;
  } catch (err) {
    if (err instanceof DistilleryError) return undefined;
    throw err;
  }
}

export const RECORD_FETCHES: readonly string[] = [
  TARGET_OUTPUTS.lse,
  TARGET_OUTPUTS.entropy,
  TARGET_OUTPUTS.topkLogprobs,
  TARGET_OUTPUTS.topkIds,
  TARGET_OUTPUTS.nextLogprob,
  TARGET_OUTPUTS.nextRank,
];

/**
 * The head's inputs for one run: one chunk holding each live row's next-token row (`headRows`, flat
 * indices into [batch * positions]). Without a recording the graph still needs its inputs: one row,
 * K = 1, whose outputs nobody fetches.
 */
export function headFeeds(
  record: RecordOptions | undefined,
  headRows: readonly number[],
): Record<string, SessionTensor> {
  const rows = record ? headRows : [0];
  const next = record ? Math.max(0, record.alternative) : 0;
  return {
    [TARGET_INPUTS.temperature]: { type: 'float32', data: Float32Array.of(record?.temperature ?? 1), dims: [1] },
    [TARGET_INPUTS.k]: { type: 'int64', data: BigInt64Array.of(BigInt(record?.support ?? 1)), dims: [1] },
    [TARGET_INPUTS.rows]: { type: 'int64', data: BigInt64Array.from(rows, BigInt), dims: [1, rows.length] },
    [TARGET_INPUTS.next]: {
      type: 'int64',
      data: new BigInt64Array(rows.length).fill(BigInt(next)),
      dims: [1, rows.length],
    },
  };
}

/**
 * A token's log-prob at T and its rank (#ids strictly more likely), as the head computes them: float32
 * logits / T, minus lse, compared in float32 (expose-targets.ts chunkBody). When the token is at least
 * as likely as the last of the head's top-M log-probs (`top`, sorted), every id more likely is among
 * them, so the rank is counted there; otherwise in one pass over the vocabulary.
 */
export function tokenTarget(
  logits: Float32Array,
  id: number,
  temperature: number,
  lse: number,
  top?: Float32Array,
): { logprob: number; rank: number } {
  const T = Math.fround(temperature);
  const logp = (v: number) => Math.fround(Math.fround(v / T) - lse);
  const mine = logp(logits[id]!);
  let rank = 0;
  if (top && top.length > 0 && mine >= top[top.length - 1]!) {
    while (rank < top.length && top[rank]! > mine) rank++;
    return { logprob: mine, rank };
  }
  for (let v = 0; v < logits.length; v++) if (logp(logits[v]!) > mine) rank++;
  return { logprob: mine, rank };
}

/**
 * One row's steps, appended as the decode loop runs. A step keeps references to its run's target
 * outputs (shared by the batch's rows, not copied; never the logits or the cache) and is read once,
 * when the row is done.
 */
export class RowRecorder {
  readonly #opts: RecordOptions;
  readonly #steps: { out: Record<string, SessionTensor['data']>; i: number }[] = [];
  readonly #sampled: { logprob: number[]; rank: number[] } = { logprob: [], rank: [] };

  constructor(opts: RecordOptions) {
    this.#opts = opts;
  }

  /** Step outputs of live row `i` (the run's i-th head row); `token`: the one sampled there, none on a tail step. */
  step(out: Record<string, SessionTensor>, i: number, logits: Float32Array, token?: number): void {
    this.#steps.push({ out: Object.fromEntries(RECORD_FETCHES.map((name) => [name, out[name]!.data])), i });
    if (token === undefined) return;
    const lse = (out[TARGET_OUTPUTS.lse]!.data as Float32Array)[i]!;
    const M = this.#opts.support;
    const top = (out[TARGET_OUTPUTS.topkLogprobs]!.data as Float32Array).subarray(i * M, (i + 1) * M);
    const t = tokenTarget(logits, token, this.#opts.temperature, lse, top);
    this.#sampled.logprob.push(t.logprob);
    this.#sampled.rank.push(t.rank);
  }

  finish(prompt: readonly number[], written: readonly number[]): Recording {
    const M = this.#opts.support;
    const steps = this.#steps.length;
    const per = (name: string) => {
      const values = new Float32Array(steps);
      this.#steps.forEach(({ out, i }, s) => (values[s] = (out[name] as Float32Array)[i]!));
      return values;
    };
    const topkLogprobs = new Float32Array(steps * M);
    const topkIds = new BigInt64Array(steps * M);
    this.#steps.forEach(({ out, i }, s) => {
      topkLogprobs.set((out[TARGET_OUTPUTS.topkLogprobs] as Float32Array).subarray(i * M, (i + 1) * M), s * M);
      topkIds.set((out[TARGET_OUTPUTS.topkIds] as BigInt64Array).subarray(i * M, (i + 1) * M), s * M);
    });
    return {
      tokens: [...prompt, ...written],
      first: prompt.length - 1,
      written: this.#sampled.logprob.length,
      support: M,
      alternative: this.#opts.alternative,
      lse: per(TARGET_OUTPUTS.lse),
      entropy: per(TARGET_OUTPUTS.entropy),
      topkLogprobs,
      topkIds,
      sampled: { logprob: Float32Array.from(this.#sampled.logprob), rank: Float32Array.from(this.#sampled.rank) },
      alt: { logprob: per(TARGET_OUTPUTS.nextLogprob), rank: per(TARGET_OUTPUTS.nextRank) },
    };
  }
}
