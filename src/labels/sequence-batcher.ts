/**
 * Cross-request micro-batching of token sequences for one causal-LM teacher: the window, budget and
 * one-call-at-a-time rule of WindowBatcher (window-batcher.ts). A sequence weighs its token count, and
 * identical sequences (same content address) in a call are scored once; a sequence the teacher refuses
 * fails alone.
 */
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import type { EncodedSequence, SequenceInputError } from '../teacher/causal/sequence-input.ts';
import { WindowBatcher, type MicroBatcherOptions } from './window-batcher.ts';

/** What the batcher needs of a causal teacher (CausalTeacher satisfies it). */
export interface SequenceRunner {
  readonly info: { name: string };
  scoreEncoded(
    rows: readonly EncodedSequence[],
    spec: SequenceOutputSpec,
    opts: { seeds?: readonly string[] },
  ): Promise<(SequenceTargets | SequenceInputError)[]>;
}

/** One sequence to score: `key` is its content address, `seed` its sampling stream. */
export interface SequenceJob {
  row: EncodedSequence;
  key: string;
  seed: string;
}

const specKey = (spec: SequenceOutputSpec): string =>
  JSON.stringify([spec.temperature, spec.topK ?? 0, spec.samples?.draws ?? 0, !!spec.target, !!spec.hidden]);

export class SequenceBatcher extends WindowBatcher<SequenceJob, SequenceOutputSpec, SequenceTargets> {
  constructor(runner: SequenceRunner, opts: MicroBatcherOptions) {
    super(
      {
        name: runner.info.name,
        noun: 'sequences',
        closedHint: 'retry later',
        overloadedHint: 'retry after the Retry-After delay, or send fewer sequences per request',
        specKey,
        inputKey: (job) => job.key,
        tokens: (job) => job.row.ids.length,
        call: async (jobs, spec) => {
          const results = await runner.scoreEncoded(
            jobs.map((j) => j.row),
            spec,
            { seeds: jobs.map((j) => j.seed) },
          );
          if (results.length !== jobs.length)
            throw new DistilleryError('INTERNAL', `teacher answered ${results.length} rows for ${jobs.length}`);
          return {
            results: results.map((r) =>
              'tokenIds' in r
                ? r
                : new DistilleryError('INVALID_INPUT', `${r.field}: ${r.message}`, { details: { field: r.field } }),
            ),
            tokens: jobs.reduce((n, j) => n + j.row.ids.length, 0),
          };
        },
      },
      opts,
    );
  }
}
