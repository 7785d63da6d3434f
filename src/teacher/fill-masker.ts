/**
 * FillMasker on transformers.js's fill-mask pipeline: every text of a call goes through the model in
 * batches of `maxBatchSize` (the pipeline pads and runs them together).
 */
import path from 'node:path';
import type { FillMaskPipeline } from '@huggingface/transformers';
import { DistilleryError } from '../core/errors.ts';
import type { FillCandidate, FillMasker } from '../augment/index.ts';
import { transformers } from './hf-env.ts';

interface PipelineFill {
  token_str: string;
  score: number;
}

export class TransformersFillMasker implements FillMasker {
  readonly maskToken: string;
  readonly #pipe: FillMaskPipeline;
  readonly #batch: number;

  private constructor(pipe: FillMaskPipeline, maxBatchSize: number) {
    this.#pipe = pipe;
    this.maskToken = (pipe.tokenizer as unknown as { mask_token: string }).mask_token;
    this.#batch = maxBatchSize;
  }

  static async load(dir: string, opts: { maxBatchSize?: number } = {}): Promise<TransformersFillMasker> {
    const abs = path.resolve(dir);
    const { pipeline } = await transformers();
    let pipe: FillMaskPipeline;
    try {
      pipe = (await pipeline('fill-mask', abs, { local_files_only: true, dtype: 'fp32' })) as FillMaskPipeline;
    } catch (err) {
      throw new DistilleryError('MODEL_LOAD_FAILED', `Cannot load fill-mask model ${abs}: ${(err as Error).message}`, {
        hint: 'a BERT-style masked LM folder with mask_token in tokenizer_config.json',
        cause: err,
      });
    }
    const masker = new TransformersFillMasker(pipe, opts.maxBatchSize ?? 32);
    if (!masker.maskToken)
      throw new DistilleryError('MODEL_LOAD_FAILED', `${abs} has no mask token`, {
        hint: 'set mask_token in tokenizer_config.json',
      });
    return masker;
  }

  async fill(texts: string[], topK: number): Promise<FillCandidate[][]> {
    // Similar lengths share a batch (less padding); results go back in input order.
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length || a - b);
    const out = new Array<FillCandidate[]>(texts.length);
    for (let i = 0; i < order.length; i += this.#batch) {
      const idx = order.slice(i, i + this.#batch);
      const chunk = idx.map((k) => texts[k]!);
      let rows: FillCandidate[][];
      try {
        rows = await this.#run(chunk, topK);
      } catch {
        // One text whose mask fell past the model's max length fails the whole batch in the pipeline:
        // redo this chunk one by one so only that text comes back without candidates.
        rows = [];
        for (const text of chunk)
          rows.push(
            await this.#run([text], topK).then(
              (r) => r[0]!,
              () => [],
            ),
          );
      }
      rows.forEach((row, j) => (out[idx[j]!] = row));
    }
    return out;
  }

  async #run(chunk: string[], topK: number): Promise<FillCandidate[][]> {
    // an array in (even of one text) -> one list of fills per text out
    const rows = (await this.#pipe(chunk, { top_k: topK })) as unknown as PipelineFill[][];
    if (rows.length !== chunk.length)
      throw new Error(`fill-mask returned ${rows.length} rows for ${chunk.length} texts`);
    return rows.map((row) => row.map((r) => ({ token: r.token_str, score: r.score })));
  }

  async dispose(): Promise<void> {
    await this.#pipe.dispose();
  }
}
