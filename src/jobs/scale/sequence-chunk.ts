/**
 * One causal-LM chunk as a sequence part: its rows labelled through the given store (the shard's or a
 * worker's content-addressed cache) as the plain run labels a chunk, then its rows and the stored blobs
 * that serve the job's spec encoded as one part file's bytes. The shard writer and the queue worker
 * (sequence-chunk-job.ts) both use it.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { DatasetSequenceRow, Store } from '../../store/index.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';
import type { SequenceRecord } from '../corpus/index.ts';
import { labelSequences } from '../sequence-labeler.ts';
import type { SequenceDatasetSpec } from '../sequence/run-sequence-job.ts';
import { encodeSequencePart } from './sequence-part-file.ts';

export interface SequenceChunkPart {
  bytes: Buffer;
  rows: number;
  computed: number;
  cached: number;
}

export async function labelSequenceChunk(
  deps: { store: Store; teacher: CausalTeacher },
  identity: SequenceDatasetSpec,
  meta: { job: string; dataset: string; chunk: number },
  records: readonly SequenceRecord[],
): Promise<SequenceChunkPart> {
  const { name, fingerprint } = deps.teacher.info;
  const report = await labelSequences(deps.teacher, deps.store, records, identity.spec, {
    ...identity.options,
    recorded: new Map(),
  });
  const refs = new Map(report.refs.map((r) => [r.id, r.hash]));
  const errors = new Map(report.errors.map((e) => [e.id, e]));
  const rows: DatasetSequenceRow[] = records.map(({ id }) => {
    const hash = refs.get(id);
    if (hash !== undefined) return { id, hash };
    const e = errors.get(id)!;
    return { id, field: e.field, message: e.message };
  });
  const hashes = [...new Set(report.refs.map((r) => r.hash))];
  const sequences = deps.store.sequences.encodedMany(fingerprint, hashes, identity.spec).map((b, i) => {
    if (!b) throw new DistilleryError('INTERNAL', `sequence ${hashes[i]} was labelled but its outputs are not stored`);
    return b;
  });
  const bytes = encodeSequencePart({ ...meta, teacher: { name, fingerprint }, rows }, sequences);
  return { bytes, rows: rows.length, computed: report.computed, cached: report.cached };
}
