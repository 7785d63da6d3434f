/**
 * One chunk on a worker: read its slice of the corpus, augment, dedupe, label through the worker's own
 * content-addressed cache, apply the teacher filters, and gather the rows with their outputs as a part.
 * The steps are the runner's (src/jobs/runner), so a chunk's rows equal the same chunk of `distillery run`.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { OutputSpec } from '../../core/types.ts';
import { readCorpus, type CorpusRecord } from '../corpus/index.ts';
import { outputSpecOf, type JobSpec } from '../job-schema.ts';
import { dedupeAugmentations } from '../runner/dedupe.ts';
import type { ChunkAugmenter, RunnerStore } from '../runner/ports.ts';
import { chainCounts, interleave, toOriginal, type JobTeacher } from '../runner/run-job.ts';
import { applyTeacherFilter, toTeacherFilter } from '../runner/teacher-filters.ts';
import { labelInputs } from '../../labels/index.ts';
import { encodeTeacherOutput } from '../../store/index.ts';
import { readChunkSlice } from './chunk-slice.ts';
import type { Part, PartTeacher } from './part-file.ts';
import type { ChunkPlan } from './plan.ts';

export interface ChunkContext {
  jobId: string;
  job: JobSpec;
  teachers: readonly JobTeacher[];
  augmenter: ChunkAugmenter | undefined;
  /** the worker's local store: its cache of teacher outputs */
  cache: RunnerStore;
  tokenBudget?: number;
}

export interface ChunkOutcome {
  part: Part;
  computed: number;
  cached: number;
}

/** The chunk's records, read from its slice of the corpus. */
export const readChunkRecords = (job: JobSpec, chunk: ChunkPlan): Promise<CorpusRecord[]> =>
  readChunkSlice(job, chunk, readCorpus, 'records');

export async function processChunk(ctx: ChunkContext, chunk: ChunkPlan, signal?: AbortSignal): Promise<ChunkOutcome> {
  const { job, cache, teachers } = ctx;
  const spec: OutputSpec = outputSpecOf(job);
  const originals = (await readChunkRecords(job, chunk)).map(toOriginal);
  let examples = originals;
  const counts = { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 };
  let opCounts: Part['header']['opCounts'] = [];
  if (ctx.augmenter) {
    const outcome = await ctx.augmenter.augment(originals, signal);
    const deduped = dedupeAugmentations(interleave(originals, outcome.examples), (e) => cache.inputHash(e));
    opCounts = chainCounts(outcome, deduped.droppedByChain);
    examples = deduped.examples;
    counts.augmentSkipped = outcome.skipped;
    counts.duplicatesDropped = deduped.dropped;
  }
  let computed = 0;
  let cached = 0;
  for (const t of teachers) {
    const s = await labelInputs(t.runner, cache, examples, spec, {
      ...(ctx.tokenBudget === undefined ? {} : { tokenBudget: ctx.tokenBudget }),
      ...(signal ? { signal } : {}),
    });
    computed += s.computed;
    cached += s.cached;
  }
  const filter = toTeacherFilter(job.filters);
  if (filter) {
    const f = applyTeacherFilter(examples, filter, cache, teachers);
    examples = f.examples;
    counts.filteredOut = f.dropped;
    counts.flagged = f.flagged;
  }

  // each input once per teacher, in row order; logits kept so the coordinator's store gets every component
  const hashes = [...new Set(examples.map((e) => cache.inputHash(e)))];
  const full: OutputSpec = { ...spec, logits: true, temperatures: [] };
  const partTeachers: PartTeacher[] = [];
  const blobs: Buffer[][][] = [];
  for (const t of teachers) {
    const outputs = cache.outputs(t.runner.info, hashes, full);
    const pt: PartTeacher = {
      name: t.runner.info.name,
      fingerprint: t.runner.info.fingerprint,
      encoding: spec.encoding,
      outputs: [],
    };
    const tb: Buffer[][] = [];
    for (const h of hashes) {
      const o = outputs.get(h);
      if (!o)
        throw new DistilleryError('INTERNAL', `chunk ${chunk.index}: no cached output for input ${h} after labelling`);
      const enc = encodeTeacherOutput(o, spec.encoding);
      pt.outputs.push({
        inputHash: h,
        tokens: o.tokens,
        truncated: o.truncated,
        components: enc.map((c) => [c.component, c.blob.length]),
      });
      tb.push(enc.map((c) => c.blob));
    }
    partTeachers.push(pt);
    blobs.push(tb);
  }
  return {
    part: {
      header: {
        job: ctx.jobId,
        dataset: job.dataset,
        chunk: chunk.index,
        records: chunk.records,
        examples,
        counts,
        opCounts,
        teachers: partTeachers,
      },
      blobs,
    },
    computed,
    cached,
  };
}
