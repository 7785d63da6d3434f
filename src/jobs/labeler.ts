/**
 * Label inputs cache-first: hash them, ask the store what each still lacks (whole outputs or single
 * components such as hidden states), send only that to the teacher in token-budget batches, and store the
 * results batch by batch, so a crash loses at most the batch in flight.
 */
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec, TeacherRunner, TextInput } from '../core/types.ts';
import type { RunnerStore } from './runner/ports.ts';

export type LabelCache = Pick<RunnerStore, 'missing' | 'saveOutputs' | 'inputHash'>;

export interface LabelOptions {
  /** estimated tokens per teacher call (padding included); default 8,192 */
  tokenBudget?: number;
  signal?: AbortSignal;
}

export interface LabelStats {
  inputs: number;
  /** distinct normalized inputs */
  unique: number;
  /** distinct inputs fully served by the cache */
  cached: number;
  /** distinct inputs sent to the teacher (for all or part of the spec) */
  computed: number;
  teacherCalls: number;
}

/** Rough WordPiece count without a tokenizer: about 4 characters per token plus [CLS]/[SEP]. */
export function estimateTokens(input: TextInput, maxLength: number): number {
  const chars = input.text.length + (input.textPair?.length ?? 0);
  return Math.min(maxLength, Math.ceil(chars / 4) + (input.textPair === undefined ? 2 : 3));
}

/** Consecutive batches whose padded size (longest x count) stays within the budget. */
export function tokenBudgetBatches<T extends TextInput>(
  inputs: readonly T[],
  budget: number,
  maxLength: number,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let longest = 0;
  for (const input of inputs) {
    const tokens = estimateTokens(input, maxLength);
    const wouldBe = Math.max(longest, tokens) * (batch.length + 1);
    if (batch.length > 0 && wouldBe > budget) {
      batches.push(batch);
      batch = [];
      longest = 0;
    }
    batch.push(input);
    longest = Math.max(longest, tokens);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export async function labelInputs(
  teacher: TeacherRunner,
  cache: LabelCache,
  inputs: readonly TextInput[],
  spec: OutputSpec,
  opts: LabelOptions = {},
): Promise<LabelStats> {
  const budget = opts.tokenBudget ?? 8192;
  const unique = new Map<string, TextInput>();
  for (const input of inputs) {
    const h = cache.inputHash(input);
    if (!unique.has(h)) unique.set(h, input);
  }
  const missing = cache.missing(teacher.info, [...unique.keys()], spec);
  // inputs lacking the same components go to the teacher together
  const groups = new Map<string, { spec: OutputSpec; items: (TextInput & { hash: string })[] }>();
  for (const [hash, need] of missing) {
    const key = JSON.stringify(need);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { spec: need, items: [] }));
    const input = unique.get(hash)!;
    g.items.push(
      input.textPair === undefined ? { text: input.text, hash } : { text: input.text, textPair: input.textPair, hash },
    );
  }
  let teacherCalls = 0;
  for (const { spec: need, items } of groups.values()) {
    // similar lengths share a call (less padding); results are stored by hash, so order does not matter
    const byLength = items
      .map((item, i) => ({ item, i, tokens: estimateTokens(item, teacher.info.maxLength) }))
      .sort((a, b) => a.tokens - b.tokens || a.i - b.i)
      .map((x) => x.item);
    for (const batch of tokenBudgetBatches(byLength, budget, teacher.info.maxLength)) {
      if (opts.signal?.aborted) throw new DistilleryError('CANCELLED', 'labelling was cancelled');
      const request = batch.map((b) =>
        b.textPair === undefined ? { text: b.text } : { text: b.text, textPair: b.textPair },
      );
      const outputs = await teacher.infer(request, need, opts.signal ? { signal: opts.signal } : undefined);
      teacherCalls++;
      if (outputs.length !== batch.length) {
        throw new DistilleryError(
          'INTERNAL',
          `teacher ${teacher.info.name} returned ${outputs.length} outputs for ${batch.length} inputs`,
        );
      }
      cache.saveOutputs(
        teacher.info,
        need,
        batch.map((b, i) => ({ inputHash: b.hash, output: outputs[i]! })),
      );
    }
  }
  return {
    inputs: inputs.length,
    unique: unique.size,
    cached: unique.size - missing.size,
    computed: missing.size,
    teacherCalls,
  };
}
