/**
 * Translator for back-translation on transformers.js seq2seq models (Marian / opus-mt layout).
 * Sampling is seeded per text: transformers.js samples with one global Mersenne Twister, so a text's
 * output would depend on the batch around it and on concurrent calls. Instead, generation runs greedy and a
 * logits processor draws each row's token itself from that text's SeededRng (temperature, top-k), leaving
 * only that token finite; greedy then picks it. One generate() call per batch and direction.
 */
import path from 'node:path';
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import { DistilleryError } from '../core/errors.ts';
import type { SeededRng } from '../core/seeded-rng.ts';
import type { SamplingOptions, TranslateRequest, Translator } from '../augment/index.ts';
import { transformers } from './hf-env.ts';

export interface TranslatorOptions {
  /** model folder per direction, e.g. { 'en-de': 'models/opus-mt-en-de' }; relative paths resolve against modelsDir */
  models: Record<string, string>;
  modelsDir?: string;
  /** texts per generate() call */
  maxBatchSize?: number;
}

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
}

export class TransformersTranslator implements Translator {
  readonly #opts: TranslatorOptions;
  readonly #loaded = new Map<string, Promise<Loaded>>();

  constructor(opts: TranslatorOptions) {
    this.#opts = opts;
  }

  async translate(
    requests: TranslateRequest[],
    direction: { from: string; to: string },
    sampling: SamplingOptions,
  ): Promise<string[]> {
    if (requests.length === 0) return [];
    const { tokenizer, model } = await this.#load(`${direction.from}-${direction.to}`);
    const size = this.#opts.maxBatchSize ?? 32;
    // Similar lengths share a batch (less padding, and no short text waits for a long one's decoding);
    // each row samples from its own rng, so the grouping does not change any output.
    const order = requests
      .map((_, i) => i)
      .sort((a, b) => requests[a]!.text.length - requests[b]!.text.length || a - b);
    const out = new Array<string>(requests.length);
    for (let i = 0; i < order.length; i += size) {
      const idx = order.slice(i, i + size);
      const chunk = idx.map((k) => requests[k]!);
      const inputs = tokenizer(
        chunk.map((r) => r.text),
        { padding: true, truncation: true },
      );
      const inputLength = inputs.input_ids.dims.at(-1) ?? 1;
      const generated = (await model.generate({
        ...inputs,
        // a sampled row that misses end-of-sentence would otherwise decode the whole batch to the limit
        max_new_tokens: Math.min(sampling.maxNewTokens ?? 128, Math.ceil(inputLength * 1.5) + 8),
        do_sample: false,
        num_beams: 1,
        // generate() spreads this into its processor list (an array works; null = none; undefined would throw)
        logits_processor:
          sampling.temperature > 0
            ? [
                seededSampler(
                  chunk.map((r) => r.rng),
                  sampling,
                ),
              ]
            : null,
      } as unknown as Parameters<PreTrainedModel['generate']>[0])) as Tensor;
      tokenizer.batch_decode(generated, { skip_special_tokens: true }).forEach((text, j) => (out[idx[j]!] = text));
    }
    return out;
  }

  async dispose(): Promise<void> {
    for (const p of this.#loaded.values()) await (await p).model.dispose();
    this.#loaded.clear();
  }

  #load(pair: string): Promise<Loaded> {
    let p = this.#loaded.get(pair);
    if (!p) {
      p = loadPair(pair, this.#opts);
      this.#loaded.set(pair, p);
      p.catch(() => this.#loaded.delete(pair));
    }
    return p;
  }
}

async function loadPair(pair: string, opts: TranslatorOptions): Promise<Loaded> {
  const dir = opts.models[pair];
  if (!dir) {
    throw new DistilleryError('NOT_FOUND', `No translation model for ${pair}`, {
      hint: `configure one, e.g. models: { "${pair}": "models/opus-mt-${pair}" } (Helsinki-NLP/opus-mt-${pair} on a connected machine)`,
    });
  }
  const abs = path.resolve(opts.modelsDir ?? process.cwd(), dir);
  const { AutoModelForSeq2SeqLM, AutoTokenizer } = await transformers();
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(abs, { local_files_only: true });
    const model = await AutoModelForSeq2SeqLM.from_pretrained(abs, { local_files_only: true, dtype: 'fp32' });
    return { tokenizer, model };
  } catch (err) {
    throw new DistilleryError('MODEL_LOAD_FAILED', `Cannot load translation model ${abs}: ${(err as Error).message}`, {
      hint: 'the folder needs config.json, tokenizer files and onnx/encoder_model.onnx + onnx/decoder_model_merged.onnx',
      cause: err,
    });
  }
}

/** A logits processor: per row, sample from softmax(top-k logits / T) with that row's rng; mask the rest. */
export function seededSampler(rngs: readonly SeededRng[], sampling: SamplingOptions) {
  return (_inputIds: bigint[][], logits: Tensor): Tensor => {
    const data = logits.data as Float32Array;
    const vocab = logits.dims.at(-1)!;
    const rows = data.length / vocab;
    if (rows !== rngs.length) throw new Error(`Sampler got ${rows} rows for ${rngs.length} texts`);
    for (let b = 0; b < rows; b++) {
      const row = data.subarray(b * vocab, (b + 1) * vocab);
      const chosen = sampleRow(row, rngs[b]!, sampling);
      row.fill(-Infinity);
      row[chosen] = 0;
    }
    return logits;
  };
}

function sampleRow(row: Float32Array, rng: SeededRng, sampling: SamplingOptions): number {
  const k = sampling.topK > 0 ? Math.min(sampling.topK, row.length) : row.length;
  const top = topIndices(row, k);
  if (top.length === 0) return 0;
  const max = row[top[0]!]!;
  const weights = top.map((i) => Math.exp((row[i]! - max) / sampling.temperature));
  const total = weights.reduce((x, y) => x + y, 0);
  let u = rng.next() * total;
  for (let j = 0; j < top.length; j++) {
    u -= weights[j]!;
    if (u < 0) return top[j]!;
  }
  return top[top.length - 1]!;
}

/** Indices of the k largest finite logits, largest first, ties to the lower index (one pass, small k). */
function topIndices(row: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v === -Infinity || Number.isNaN(v)) continue;
    if (top.length === k && v <= row[top[k - 1]!]!) continue;
    let j = top.length === k ? k - 1 : top.length;
    while (j > 0 && row[top[j - 1]!]! < v) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  return top;
}
