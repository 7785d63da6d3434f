/**
 * The finalize step of a causal-LM job on the queue: the `.seqpart` parts the chunks' results name, merged
 * into the coordinator's store by `mergeSequenceParts` (the merge of `run JOB --parts DIR`: each part
 * checked against its sha256, chunk, dataset and teacher fingerprint, whole chunks committed in order),
 * reported as the finalize result `jobs status` and the coordinator read.
 */
import type { Store } from '../../store/index.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';
import type { JobSpec } from '../job-schema.ts';
import type { ChunkResult, FinalizeResult } from './finalize.ts';
import type { StoredSequencePart } from './sequence-part-file.ts';
import { mergeSequenceParts } from './sequence-parts.ts';

export async function finalizeSequenceParts(
  job: JobSpec,
  jobId: string,
  partsDir: string,
  results: readonly ChunkResult[],
  deps: { store: Store; teacher: CausalTeacher; command: string },
): Promise<FinalizeResult> {
  const parts = new Map<number, StoredSequencePart>(
    results.map((r) => [r.chunk, { chunk: r.chunk, name: r.part, sha256: r.sha256, job: jobId }]),
  );
  const m = await mergeSequenceParts(job, partsDir, deps, parts);
  const sum = (k: 'computed' | 'cached') => results.reduce((n, r) => n + r[k], 0);
  return {
    status: m.status,
    dataset: m.dataset,
    records: m.rows,
    examples: m.rows - m.refused,
    chunks: m.chunks,
    computed: m.status === 'done' ? sum('computed') : 0,
    cached: m.status === 'done' ? sum('cached') : 0,
    counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
    sequence: { rows: m.rows, refused: m.refused },
  };
}
