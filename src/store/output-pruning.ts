/**
 * Garbage collection of the content-addressed output cache. Outputs are shared, so deleting a
 * dataset keeps them; pruning removes the ones no example of any dataset refers to. A job writes
 * a chunk's outputs before its examples (so a crash never leaves examples that claim labels they
 * lack), which means a fresh output can be briefly unreferenced: only outputs older than a grace
 * period go.
 */
import type Database from 'better-sqlite3';
import { withBusyRetry } from './sqlite.ts';

export interface PruneResult {
  /** cached output rows (one per component) removed, or that would be with dryRun */
  outputs: number;
  /** bytes of their blobs */
  bytes: number;
}

const UNREFERENCED = `FROM teacher_outputs WHERE written_at < ? AND input_hash NOT IN (SELECT input_hash FROM examples)`;

export function pruneOutputs(db: Database.Database, writtenBefore: number, dryRun: boolean): PruneResult {
  const count = db.prepare<[number], { n: number; b: number }>(
    `SELECT count(*) AS n, coalesce(sum(length(data)), 0) AS b ${UNREFERENCED}`,
  );
  const remove = db.prepare(`DELETE ${UNREFERENCED}`);
  // one IMMEDIATE transaction: no example can start referring to a row between the check and the delete
  return withBusyRetry(() =>
    db
      .transaction((): PruneResult => {
        const { n, b } = count.get(writtenBefore)!;
        if (!dryRun && n > 0) remove.run(writtenBefore);
        return { outputs: n, bytes: b };
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
