/**
 * The generation step of a causal-LM job (`sequence.generate`): each prompt row ({prompt} or
 * {messages}) becomes `n` rows the teacher wrote, {prompt, response} or the messages plus an assistant
 * turn, which the job then labels teacher-forced like any other row. Each response draws from its own
 * stream, SeededRng(job seed).fork(`${parent id}#${variant}`), so its text does not depend on the chunk
 * or batch it was written in: a rerun, or a resume after kill -9, writes the same rows. With `record`,
 * each row also carries its generation's Recording, from which the job labels it (decode-recorder.ts).
 */
import { z } from 'zod';
import { resolveGenerationParams, type GenerationParams } from '../../core/generation-params.ts';
import { SeededRng } from '../../core/seeded-rng.ts';
import type { CausalGenerator } from '../../teacher/causal/causal-generator.ts';
import type { RecordOptions, Recording } from '../../teacher/causal/decode-recorder.ts';
import { SequenceInputError, type GenerateInput } from '../../teacher/causal/sequence-input.ts';
import type { SequenceRecord } from '../corpus/index.ts';

export const MAX_GENERATIONS_PER_PROMPT = 64;

const nError = `expected an integer in [1, ${MAX_GENERATIONS_PER_PROMPT}] (responses per prompt)`;

/** `n` plus the decoding parameters of core/generation-params.ts, each checked there (the error names the field). */
export const sequenceGenerateSchema = z
  .looseObject({
    n: z.number({ error: nError }).int({ error: nError }).min(1, { error: nError }).max(MAX_GENERATIONS_PER_PROMPT, {
      error: nError,
    }),
  })
  .partial({ n: true })
  .transform((g, ctx) => {
    const { n = 1, ...decoding } = g;
    try {
      return { n, ...resolveGenerationParams(decoding as Partial<GenerationParams>) };
    } catch (err) {
      const field = ((err as { details?: { field?: string } }).details?.field ?? '').split('[')[0];
      ctx.addIssue({ code: 'custom', path: field ? [field] : [], message: (err as Error).message });
      return z.NEVER;
    }
  });

export type SequenceGenerate = z.output<typeof sequenceGenerateSchema>;

/** The row id of a prompt's `variant`-th response; the parent id is the part before the last `#g`. */
export const generatedRowId = (parent: string, variant: number) => `${parent}#g${variant}`;

/** A generated row's lineage, from its id and the job's generation step (the Parquet `provenance` column). */
export function generatedProvenance(
  id: string,
  step: { op: 'generate'; params: SequenceGenerate; seed: number | string },
): { parent: string; op: 'generate'; params: SequenceGenerate; seed: number | string; variant: number } {
  const m = /^(.*)#g(\d+)$/s.exec(id);
  return { parent: m ? m[1]! : id, op: step.op, params: step.params, seed: step.seed, variant: m ? Number(m[2]) : 0 };
}

export type GeneratedRow =
  { record: SequenceRecord; recording?: Recording } | { id: string; field: string; message: string };

function promptOf(record: SequenceRecord): GenerateInput | SequenceInputError {
  const input = record.input as Record<string, unknown>;
  if ('messages' in input) return { messages: input.messages as { role: string; content: string }[] };
  if ('prompt' in input && typeof input.prompt === 'string') return { prompt: input.prompt };
  return new SequenceInputError('prompt', 'a generate job reads {"prompt"} or {"messages"} rows');
}

/** Writes `n` responses per prompt row, in row then variant order; a prompt the generator refuses gives n refused rows. */
export async function generateRows(
  generator: CausalGenerator,
  records: readonly SequenceRecord[],
  gen: SequenceGenerate,
  seed: number | string,
  record?: RecordOptions,
): Promise<GeneratedRow[]> {
  const { n, ...params } = gen;
  const root = new SeededRng(seed);
  const requests: { record: SequenceRecord; variant: number; input: GenerateInput }[] = [];
  const out: (GeneratedRow | undefined)[] = [];
  for (const record of records) {
    const input = promptOf(record);
    for (let v = 0; v < n; v++) {
      if (input instanceof SequenceInputError)
        out.push({ id: generatedRowId(record.id, v), field: input.field, message: input.message });
      else {
        requests.push({ record, variant: v, input });
        out.push(undefined);
      }
    }
  }
  const results = await generator.generate(
    requests.map((r) => ({ input: r.input, rng: root.fork(`${r.record.id}#${r.variant}`) })),
    params,
    { logprobs: false, ...(record ? { record } : {}) },
  );
  let k = 0;
  return out.map((row) => {
    if (row) return row;
    const { record, variant, input } = requests[k]!;
    const result = results[k++]!;
    const id = generatedRowId(record.id, variant);
    if (result instanceof SequenceInputError) return { id, field: result.field, message: result.message };
    const labelled =
      'messages' in input
        ? { messages: [...input.messages, { role: 'assistant', content: result.text }] }
        : { prompt: input.prompt, response: result.text };
    return {
      record: { line: record.line, id, input: labelled },
      ...(result.recording ? { recording: result.recording } : {}),
    };
  });
}
