/**
 * One INSERT of many rows (multi-row VALUES) instead of one statement run per row: a finalize merge
 * writes millions of small rows, and better-sqlite3's per-run cost (bind, step, reset) was most of
 * the merge's time (bench/finalize-merge.ts). Rows go in groups of `rows`; the remainder one by one.
 */
import type Database from 'better-sqlite3';

export class BulkInsert {
  readonly #many: Database.Statement;
  readonly #one: Database.Statement;
  readonly #width: number;
  readonly #rows: number;

  /** `head` is `INSERT INTO t (a, b)`, `tail` what follows the VALUES (an ON CONFLICT clause or ''). */
  constructor(db: Database.Database, head: string, width: number, tail: string, rows = 64) {
    const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.#many = db.prepare(`${head} VALUES ${Array.from({ length: rows }, () => tuple).join(', ')} ${tail}`);
    this.#one = db.prepare(`${head} VALUES ${tuple} ${tail}`);
    this.#width = width;
    this.#rows = rows;
  }

  /** Inserts `values` (`width` per row, row after row); returns SQLite's count of changed rows. */
  run(values: readonly unknown[]): number {
    const w = this.#width;
    const n = values.length / w;
    let changes = 0;
    let i = 0;
    for (; i + this.#rows <= n; i += this.#rows)
      changes += this.#many.run(values.slice(i * w, (i + this.#rows) * w)).changes;
    for (; i < n; i++) changes += this.#one.run(values.slice(i * w, (i + 1) * w)).changes;
    return changes;
  }
}
