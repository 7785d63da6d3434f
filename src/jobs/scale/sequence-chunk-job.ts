/**
 * A causal-LM chunk on a queue worker: the chunk's rows read by their lines, labelled through the worker's
 * own store (its content-addressed cache) by `labelSequenceChunk`, as `run --shard i/n --parts DIR`
 * labels them, and written as a `.seqpart` named by its content, so a chunk labelled twice from the same
 * cache writes the same file. The teacher is loaded once per job spec, through the registry's `getCausal`.
 */
import type { Store } from '../../store/index.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';
import { statCorpus } from '../corpus/index.ts';
import type { JobSpec } from '../job-schema.ts';
import { partsLocation } from './parts-location.ts';
import type { SequenceDatasetSpec } from '../sequence/run-sequence-job.ts';
import type { ChunkPlan } from './plan.ts';
import { labelSequenceChunk } from './sequence-chunk.ts';
import { writeSequencePart } from './sequence-part-file.ts';
import { sequencePartsIdentity } from './sequence-parts.ts';
import { readSequenceChunk } from './sequence-plan.ts';

/** Where a worker finds a causal-LM teacher by name (the teacher registry). */
export interface CausalTeachers {
  getCausal(name: string): Promise<CausalTeacher>;
}

/** What a causal-LM chunk needs from the queued job. */
export interface SequenceChunkTask {
  jobId: string;
  specHash: string;
  job: JobSpec;
  teacher: string;
  partsDir: string;
  chunk: ChunkPlan;
}

export interface SequenceChunkDone {
  /** the part's name in its directory or prefix */
  name: string;
  sha256: string;
  bytes: number;
  rows: number;
  computed: number;
  cached: number;
}

interface Context {
  teacher: CausalTeacher;
  identity: SequenceDatasetSpec;
}

/** Labels causal-LM chunks into parts with `store` as the cache; one context per job spec. */
export function sequenceChunkRunner(deps: {
  store: Store;
  teachers: CausalTeachers;
}): (t: SequenceChunkTask) => Promise<SequenceChunkDone> {
  const contexts = new Map<string, Promise<Context>>();
  const contextFor = (t: SequenceChunkTask): Promise<Context> => {
    let c = contexts.get(t.specHash);
    if (!c) {
      c = (async () => {
        const teacher = await deps.teachers.getCausal(t.teacher);
        await statCorpus(t.job.corpus.path);
        return { teacher, identity: sequencePartsIdentity(t.job, teacher) };
      })();
      contexts.set(t.specHash, c);
      c.catch(() => contexts.delete(t.specHash));
    }
    return c;
  };
  return async (t) => {
    const { teacher, identity } = await contextFor(t);
    const records = await readSequenceChunk(t.job, t.chunk);
    const meta = { job: t.jobId, dataset: t.job.dataset, chunk: t.chunk.index };
    const part = await labelSequenceChunk({ store: deps.store, teacher }, identity, meta, records);
    const written = await writeSequencePart(partsLocation(t.partsDir), t.chunk.index, part.bytes);
    return { ...written, bytes: part.bytes.length, rows: part.rows, computed: part.computed, cached: part.cached };
  };
}
