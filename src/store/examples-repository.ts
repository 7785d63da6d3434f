/** A dataset's examples in ordinal order, and the per-op augmentation counts written with them. */
import type { Statement } from 'better-sqlite3';
import type { Example } from '../core/types.ts';
import { checkEncodedExamples, checkExample, checkOpStat, hashBytes, hashKey } from './checks.ts';
import type { StoreDatabase } from './database.ts';
import type { DatasetRepository } from './datasets-repository.ts';
import { inputHash as hashInput } from './input-hash.ts';
import { EXAMPLE_COLUMNS, exampleFromRaw } from './labelled-pages.ts';
import type { AddExamplesOptions, AddExamplesResult, EncodedExampleRows, OpStat, StoredExample } from './types.ts';

const PAGE_ROWS = 512;

/** id, text, text_pair, label JSON, origin JSON, input hash: an examples row as inserted */
type Row = [string, string, string | null, string | null, string, Buffer];

export interface ExampleRepository {
  /**
   * Appends examples in one transaction; ids already present are skipped. `opStats` are added in the same
   * transaction, unless every example was already present (a replayed batch must not count twice).
   */
  addExamples(datasetId: string, examples: readonly Example[], opts?: AddExamplesOptions): AddExamplesResult;
  /** addExamples for rows already serialized as the store keeps them (a part's), same rules. */
  addEncodedExamples(datasetId: string, rows: EncodedExampleRows, opts?: AddExamplesOptions): AddExamplesResult;
  /** Per op chain: augmentations produced and dropped as duplicates, as the jobs recorded them; [] when none did. */
  opStats(datasetId: string): OpStat[];
  /** Replaces the dataset's per-op counts (a merge of shards writes their sums; rerunning it is safe). */
  setOpStats(datasetId: string, stats: readonly OpStat[]): void;
  getExample(datasetId: string, id: string): StoredExample | undefined;
  /**
   * Examples in ordinal order, read in pages of `pageRows` by keyset, so memory stays flat and the
   * caller may write to the store between pages (a cursor held open across yields would forbid that).
   */
  iterateExamples(datasetId: string, opts?: { afterOrdinal?: number; pageRows?: number }): Generator<StoredExample>;
  /** Example counts only: what a resuming job needs, without the per-teacher scans of datasetStats. */
  exampleCounts(datasetId: string): { examples: number; originals: number };
  /** JSON types of the dataset's gold labels ('integer', 'real', 'text'), so exports can pick a column type. */
  labelTypes(datasetId: string): string[];
}

export class SqliteExampleRepository implements ExampleRepository {
  readonly #db: StoreDatabase;
  readonly #datasets: DatasetRepository;
  readonly #s: {
    maxOrdinal: Statement<[string], { m: number }>;
    insert: Statement;
    setManifest: Statement;
    addOpStat: Statement;
    clearOpStats: Statement;
    opStats: Statement<[string], OpStat>;
    page: Statement<[string, number, number], unknown[]>;
    get: Statement<[string, string], unknown[]>;
    counts: Statement<[string], { n: number; originals: number | null }>;
    labelTypes: Statement<[string], { t: string }>;
  };

  constructor(db: StoreDatabase, datasets: DatasetRepository) {
    this.#db = db;
    this.#datasets = datasets;
    const sql = db.sql;
    this.#s = {
      maxOrdinal: sql.prepare<[string], { m: number }>(
        'SELECT coalesce(max(ordinal), -1) AS m FROM examples WHERE dataset_id = ?',
      ),
      insert: sql.prepare(
        `INSERT INTO examples (dataset_id, ordinal, id, text, text_pair, label, origin, input_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, id) DO NOTHING`,
      ),
      setManifest: sql.prepare('UPDATE datasets SET manifest = ? WHERE id = ?'),
      addOpStat: sql.prepare(
        `INSERT INTO dataset_op_stats (dataset_id, op, produced, duplicates) VALUES (?, ?, ?, ?)
         ON CONFLICT (dataset_id, op) DO UPDATE SET produced = produced + excluded.produced, duplicates = duplicates + excluded.duplicates`,
      ),
      clearOpStats: sql.prepare('DELETE FROM dataset_op_stats WHERE dataset_id = ?'),
      opStats: sql.prepare<[string], OpStat>(
        'SELECT op, produced, duplicates FROM dataset_op_stats WHERE dataset_id = ? ORDER BY op',
      ),
      page: sql
        .prepare<[string, number, number], unknown[]>(
          `SELECT ${EXAMPLE_COLUMNS} FROM examples e WHERE e.dataset_id = ? AND e.ordinal > ? ORDER BY e.ordinal LIMIT ?`,
        )
        .raw(true),
      get: sql
        .prepare<[string, string], unknown[]>(
          `SELECT ${EXAMPLE_COLUMNS} FROM examples e WHERE e.dataset_id = ? AND e.id = ?`,
        )
        .raw(true),
      counts: sql.prepare<[string], { n: number; originals: number | null }>(
        `SELECT count(*) AS n, sum(json_extract(origin, '$.kind') = 'original') AS originals
         FROM examples WHERE dataset_id = ?`,
      ),
      labelTypes: sql.prepare<[string], { t: string }>(
        'SELECT DISTINCT json_type(label) AS t FROM examples WHERE dataset_id = ? AND label IS NOT NULL ORDER BY t',
      ),
    };
  }

  addExamples(datasetId: string, examples: readonly Example[], opts: AddExamplesOptions = {}): AddExamplesResult {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    examples.forEach(checkExample);
    const rows = examples.map((e): Row => [
      e.id,
      e.text,
      e.textPair ?? null,
      e.label === undefined || e.label === null ? null : JSON.stringify(e.label),
      JSON.stringify(e.origin),
      hashBytes(hashInput(e)),
    ]);
    return this.#insert(datasetId, rows, opts);
  }

  addEncodedExamples(datasetId: string, rows: EncodedExampleRows, opts: AddExamplesOptions = {}): AddExamplesResult {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    checkEncodedExamples(rows);
    const { ids, texts, pairs, labels, origins, inputHashes } = rows;
    return this.#insert(
      datasetId,
      ids.map((id, i): Row => [
        id,
        texts[i]!,
        pairs[i]!,
        labels[i]!,
        origins[i]!,
        hashKey(inputHashes.subarray(32 * i, 32 * i + 32)),
      ]),
      opts,
    );
  }

  #insert(datasetId: string, rows: readonly Row[], opts: AddExamplesOptions): AddExamplesResult {
    const opStats = (opts.opStats ?? []).map(checkOpStat);
    return this.#db.write(() => {
      let ordinal = this.#s.maxOrdinal.get(datasetId)!.m;
      let inserted = 0;
      for (const [id, text, pair, label, origin, hash] of rows) {
        if (this.#s.insert.run(datasetId, ordinal + 1, id, text, pair, label, origin, hash).changes > 0) {
          ordinal++;
          inserted++;
        }
      }
      if (inserted > 0) for (const o of opStats) this.#s.addOpStat.run(datasetId, o.op, o.produced, o.duplicates);
      if (opts.manifest !== undefined) this.#s.setManifest.run(JSON.stringify(opts.manifest), datasetId);
      return { inserted, skipped: rows.length - inserted };
    });
  }

  opStats(datasetId: string): OpStat[] {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    return this.#s.opStats.all(datasetId).map((r) => ({ op: r.op, produced: r.produced, duplicates: r.duplicates }));
  }

  setOpStats(datasetId: string, stats: readonly OpStat[]): void {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    const rows = stats.map(checkOpStat);
    this.#db.write(() => {
      this.#s.clearOpStats.run(datasetId);
      for (const o of rows) this.#s.addOpStat.run(datasetId, o.op, o.produced, o.duplicates);
    });
  }

  getExample(datasetId: string, id: string): StoredExample | undefined {
    this.#db.check();
    const row = this.#s.get.get(datasetId, id);
    return row && exampleFromRaw(row);
  }

  *iterateExamples(
    datasetId: string,
    opts: { afterOrdinal?: number; pageRows?: number } = {},
  ): Generator<StoredExample> {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    let after = opts.afterOrdinal ?? -1;
    const limit = opts.pageRows ?? PAGE_ROWS;
    for (;;) {
      this.#db.check();
      const page = this.#s.page.all(datasetId, after, limit);
      for (const row of page) yield exampleFromRaw(row);
      if (page.length < limit) return;
      after = page[page.length - 1]![0] as number;
    }
  }

  exampleCounts(datasetId: string): { examples: number; originals: number } {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    const c = this.#s.counts.get(datasetId)!;
    return { examples: c.n, originals: c.originals ?? 0 };
  }

  labelTypes(datasetId: string): string[] {
    this.#db.check();
    return this.#s.labelTypes.all(datasetId).map((r) => r.t);
  }
}
