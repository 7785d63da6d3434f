/**
 * The checks every finalize makes before it trusts the parts, whether it merges them into the store or
 * writes the exports straight from them: one result per chunk, the same teacher files everywhere, and
 * each part's chunk, dataset and teachers as its result says (its bytes are checked where it is read).
 */
import { DistilleryError } from '../../core/errors.ts';
import type { TeacherInfo } from '../../core/types.ts';
import type { ChunkResult } from './finalize.ts';

const fingerprints = (teachers: readonly { fingerprint: string }[]): string =>
  teachers.map((t) => t.fingerprint).join(', ');

/** The results in chunk order, and the teachers chunk 0 was labelled with (all others must match). */
export function orderedResults(results: readonly ChunkResult[]): { sorted: ChunkResult[]; infos: TeacherInfo[] } {
  const sorted = [...results].sort((a, b) => a.chunk - b.chunk);
  sorted.forEach((r, i) => {
    if (r.chunk !== i) throw new DistilleryError('INTERNAL', `chunk ${i} has no result`);
  });
  const infos = sorted[0]?.teachers ?? [];
  for (const r of sorted) {
    if (fingerprints(r.teachers) !== fingerprints(infos))
      throw new DistilleryError(
        'INVALID_INPUT',
        `worker ${r.worker} labelled chunk ${r.chunk} with other teacher files (${fingerprints(r.teachers)}) than chunk 0 (${fingerprints(infos)})`,
        { hint: 'give every worker the same model files' },
      );
  }
  return { sorted, infos };
}

/** A part's header against its result (chunk, teachers) and the dataset, its bytes already checked. */
export function checkPartOf(
  r: ChunkResult,
  header: { chunk: number; dataset: string; teachers: readonly { fingerprint: string }[] },
  dataset: string,
): void {
  if (header.chunk !== r.chunk || header.dataset !== dataset)
    throw new DistilleryError('INVALID_INPUT', `part ${r.part} is not chunk ${r.chunk} of ${dataset}`);
  if (fingerprints(header.teachers) !== fingerprints(r.teachers))
    throw new DistilleryError(
      'INVALID_INPUT',
      `part ${r.part} was labelled by other teacher files (${fingerprints(header.teachers)}) than ${fingerprints(r.teachers)}`,
      { hint: 'give every worker and shard the same model files' },
    );
}
