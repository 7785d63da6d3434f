/**
 * Garbage collection of the content-addressed output cache. Outputs are shared, so deleting a
 * dataset keeps them; pruning removes the ones no example of any dataset refers to. A job writes
 * a chunk's outputs before its examples (so a crash never leaves examples that claim labels they
 * lack), which means a fresh output can be briefly unreferenced: only outputs older than a grace
 * period go. The same holds for causal-LM token sequences and their per-token outputs: a sequence goes
 * with its outputs once no dataset row points at it and neither it nor any of its outputs is younger
 * than the grace period (an HTTP request may just have added a component that a job is about to use).
 */
import type Database from 'better-sqlite3';
import { withBusyRetry } from './sqlite.ts';

export interface PruneResult {
  /** cached output rows (one per component, classifier and causal-LM) removed, or that would be with dryRun */
  outputs: number;
  /** bytes of their blobs (token sequences' own blobs included) */
  bytes: number;
  /** causal-LM token sequences removed with their outputs */
  sequences: number;
}

const UNREFERENCED = `FROM teacher_outputs WHERE written_at < ? AND input_hash NOT IN (SELECT input_hash FROM examples)`;
const UNREFERENCED_SEQUENCES = `SELECT s.id FROM token_sequences s WHERE s.written_at < @cutoff
  AND s.hash NOT IN (SELECT sequence_hash FROM dataset_sequences WHERE sequence_hash IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM sequence_outputs o WHERE o.sequence_id = s.id AND o.written_at >= @cutoff)`;

export function pruneOutputs(db: Database.Database, writtenBefore: number, dryRun: boolean): PruneResult {
  const count = db.prepare<[number], { n: number; b: number }>(
    `SELECT count(*) AS n, coalesce(sum(length(data)), 0) AS b ${UNREFERENCED}`,
  );
  const remove = db.prepare(`DELETE ${UNREFERENCED}`);
  const countSequences = db.prepare<[{ cutoff: number }], { n: number; outputs: number; b: number }>(
    `WITH gone AS (${UNREFERENCED_SEQUENCES})
     SELECT (SELECT count(*) FROM gone) AS n,
            (SELECT count(*) FROM sequence_outputs WHERE sequence_id IN gone) AS outputs,
            (SELECT coalesce(sum(length(data)), 0) FROM sequence_outputs WHERE sequence_id IN gone)
              + (SELECT coalesce(sum(length(data)), 0) FROM token_sequences WHERE id IN gone) AS b`,
  );
  const removeSequenceOutputs = db.prepare(
    `DELETE FROM sequence_outputs WHERE sequence_id IN (${UNREFERENCED_SEQUENCES})`,
  );
  // the outputs go first, so this finds the same sequences: none of them has an output left
  const removeSequences = db.prepare(`DELETE FROM token_sequences WHERE id IN (${UNREFERENCED_SEQUENCES})`);
  // one IMMEDIATE transaction: no example can start referring to a row between the check and the delete
  return withBusyRetry(() =>
    db
      .transaction((): PruneResult => {
        const { n, b } = count.get(writtenBefore)!;
        const seq = countSequences.get({ cutoff: writtenBefore })!;
        if (!dryRun && n > 0) remove.run(writtenBefore);
        if (!dryRun && seq.n > 0) {
          removeSequenceOutputs.run({ cutoff: writtenBefore });
          removeSequences.run({ cutoff: writtenBefore });
        }
        return { outputs: n + seq.outputs, bytes: b + seq.b, sequences: seq.n };
      })
      .immediate(),
  );
}

/** Rewrites the file so freed pages go back to the file system; returns the file size before and after. */
export function vacuum(db: Database.Database): { before: number; after: number } {
  const size = (): number => {
    const pages = db.pragma('page_count', { simple: true }) as number;
    return pages * (db.pragma('page_size', { simple: true }) as number);
  };
  const before = size();
  withBusyRetry(() => db.exec('VACUUM'));
  return { before, after: size() };
}
