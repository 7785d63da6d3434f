/**
 * The rows of causal-LM datasets (migration 0006): per corpus row, its sequence hash or the reason it
 * was refused. Appended a chunk at a time, each chunk in one transaction with the dataset's manifest,
 * so the row count is the job's checkpoint.
 */
import type { Statement } from 'better-sqlite3';
import type { StoreDatabase } from './database.ts';
import type { DatasetRepository } from './datasets-repository.ts';

/** One row: `hash` (hex) when labelled, else the refused input `field` and `message`. */
export type DatasetSequenceRow =
  | { id: string; hash: string; field?: undefined; message?: undefined }
  | { id: string; hash?: undefined; field: string; message: string };

export interface DatasetSequenceCounts {
  rows: number;
  refused: number;
}

const PAGE_ROWS = 512;

type RawRow = {
  ordinal: number;
  id: string;
  sequence_hash: Buffer | null;
  field: string | null;
  message: string | null;
};

const toRow = (r: RawRow): DatasetSequenceRow =>
  r.sequence_hash
    ? { id: r.id, hash: r.sequence_hash.toString('hex') }
    : { id: r.id, field: r.field ?? 'input', message: r.message ?? '' };

export class DatasetSequenceRepository {
  readonly #db: StoreDatabase;
  readonly #datasets: DatasetRepository;
  readonly #s: {
    maxOrdinal: Statement<[string], { m: number }>;
    insert: Statement;
    setManifest: Statement;
    page: Statement<[string, number, number], RawRow>;
    refused: Statement<[string, number], RawRow>;
    counts: Statement<[string], { n: number; refused: number | null }>;
  };

  constructor(db: StoreDatabase, datasets: DatasetRepository) {
    this.#db = db;
    this.#datasets = datasets;
    const sql = db.sql;
    const cols = 'ordinal, id, sequence_hash, field, message';
    this.#s = {
      maxOrdinal: sql.prepare('SELECT coalesce(max(ordinal), -1) AS m FROM dataset_sequences WHERE dataset_id = ?'),
      insert: sql.prepare(
        `INSERT INTO dataset_sequences (dataset_id, ordinal, id, sequence_hash, field, message)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, id) DO NOTHING`,
      ),
      setManifest: sql.prepare('UPDATE datasets SET manifest = ? WHERE id = ?'),
      page: sql.prepare(
        `SELECT ${cols} FROM dataset_sequences WHERE dataset_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?`,
      ),
      refused: sql.prepare(
        `SELECT ${cols} FROM dataset_sequences WHERE dataset_id = ? AND sequence_hash IS NULL ORDER BY ordinal LIMIT ?`,
      ),
      counts: sql.prepare(
        'SELECT count(*) AS n, sum(sequence_hash IS NULL) AS refused FROM dataset_sequences WHERE dataset_id = ?',
      ),
    };
  }

  /**
   * Appends rows (ids already present are skipped, so a replayed chunk is a no-op) and, in the same
   * transaction, replaces the dataset's manifest when one is given.
   */
  add(datasetId: string, rows: readonly DatasetSequenceRow[], manifest?: unknown): number {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    return this.#db.write(() => {
      let ordinal = this.#s.maxOrdinal.get(datasetId)!.m;
      let inserted = 0;
      for (const r of rows) {
        const hash = r.hash === undefined ? null : Buffer.from(r.hash, 'hex');
        if (this.#s.insert.run(datasetId, ordinal + 1, r.id, hash, r.field ?? null, r.message ?? null).changes > 0) {
          ordinal++;
          inserted++;
        }
      }
      if (manifest !== undefined) this.#s.setManifest.run(JSON.stringify(manifest), datasetId);
      return inserted;
    });
  }

  /** Rows in corpus order, read in pages by keyset (the caller may write between pages). */
  *iterate(datasetId: string): Generator<DatasetSequenceRow> {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    let after = -1;
    for (;;) {
      const page = this.#s.page.all(datasetId, after, PAGE_ROWS);
      for (const r of page) yield toRow(r);
      if (page.length < PAGE_ROWS) return;
      after = page[page.length - 1]!.ordinal;
    }
  }

  /** The first `limit` refused rows, in corpus order. */
  refused(datasetId: string, limit = 20): DatasetSequenceRow[] {
    this.#db.check();
    return this.#s.refused.all(datasetId, limit).map(toRow);
  }

  counts(datasetId: string): DatasetSequenceCounts {
    this.#db.check();
    const c = this.#s.counts.get(datasetId)!;
    return { rows: c.n, refused: c.refused ?? 0 };
  }
}
