/**
 * Per-dataset counts: examples, originals, distinct inputs, and per teacher how many are labelled and
 * how many bytes their outputs take.
 */
import type { Statement } from 'better-sqlite3';
import { componentName, topkOf } from './components.ts';
import type { StoreDatabase } from './database.ts';
import type { DatasetRepository } from './datasets-repository.ts';
import { LabelledPages } from './labelled-pages.ts';
import type { SqliteTeacherRepository } from './teachers-repository.ts';
import type { DatasetStats } from './types.ts';

export interface StatsRepository {
  /** Counts for a dataset; kept until anything is committed to the file. */
  datasetStats(datasetId: string): DatasetStats;
}

export class SqliteStatsRepository implements StatsRepository {
  readonly #db: StoreDatabase;
  readonly #datasets: DatasetRepository;
  readonly #teachers: SqliteTeacherRepository;
  readonly #pages: LabelledPages;
  readonly #cache = new Map<string, { version: string; stats: DatasetStats }>();
  readonly #s: {
    exampleCounts: Statement<[string], { n: number; originals: number | null; unique_inputs: number }>;
    labelledCount: Statement<{ ds: string; tid: number; names: string; k: number; n: number }, { n: number }>;
    outputBytes: Statement<[string, number], { b: number | null }>;
    totalChanges: Statement<[], { n: number }>;
  };

  constructor(db: StoreDatabase, datasets: DatasetRepository, teachers: SqliteTeacherRepository) {
    this.#db = db;
    this.#datasets = datasets;
    this.#teachers = teachers;
    const sql = db.sql;
    this.#pages = new LabelledPages(sql);
    this.#s = {
      exampleCounts: sql.prepare<[string], { n: number; originals: number | null; unique_inputs: number }>(
        `SELECT count(*) AS n, sum(json_extract(origin, '$.kind') = 'original') AS originals,
                count(DISTINCT input_hash) AS unique_inputs FROM examples WHERE dataset_id = ?`,
      ),
      // a wanted top-k counts as cached when any top-K >= k is (it serves it); @k is -1 when none is wanted
      labelledCount: sql.prepare<{ ds: string; tid: number; names: string; k: number; n: number }, { n: number }>(
        `SELECT count(*) AS n FROM examples e WHERE e.dataset_id = @ds AND
           (SELECT count(*) FROM teacher_outputs o WHERE o.teacher_id = @tid AND o.input_hash = e.input_hash
              AND o.component IN (SELECT value FROM json_each(@names)))
           + (@k > 0 AND EXISTS (SELECT 1 FROM teacher_outputs o WHERE o.teacher_id = @tid AND o.input_hash = e.input_hash
              AND o.component GLOB 'topk:*' AND CAST(substr(o.component, 6) AS INTEGER) >= @k)) = @n`,
      ),
      // driven from the dataset's distinct inputs: reads only this dataset's outputs
      outputBytes: sql.prepare<[string, number], { b: number | null }>(
        `SELECT sum(length(o.data)) AS b FROM (SELECT DISTINCT input_hash FROM examples WHERE dataset_id = ?) e
         JOIN teacher_outputs o ON o.teacher_id = ? AND o.input_hash = e.input_hash`,
      ),
      totalChanges: sql.prepare<[], { n: number }>('SELECT total_changes() AS n'),
    };
  }

  /**
   * They take whole-dataset scans (over a second at 100k examples), and the dashboard and `datasets
   * list` ask for every dataset, so results are kept until anything is committed to the file: by this
   * connection (total_changes) or any other (data_version).
   */
  datasetStats(datasetId: string): DatasetStats {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    const sql = this.#db.sql;
    return sql.transaction(() => {
      const version = `${sql.pragma('data_version', { simple: true })}:${this.#s.totalChanges.get()!.n}`;
      const cached = this.#cache.get(datasetId);
      if (cached?.version === version) return structuredClone(cached.stats);
      const stats = this.#compute(datasetId);
      this.#cache.set(datasetId, { version, stats: structuredClone(stats) });
      return stats;
    })();
  }

  #compute(datasetId: string): DatasetStats {
    const c = this.#s.exampleCounts.get(datasetId)!;
    const teachers = this.#teachers.datasetTeachers(datasetId).map((t) => {
      const tid = this.#teachers.teacherId(t.fingerprint, false)!;
      const wanted = this.#teachers.components(t.fingerprint, t.spec);
      const names = wanted.map(componentName);
      const components: Record<string, number> = {};
      const counts = this.#pages.counts(datasetId, tid, wanted);
      names.forEach((name, i) => (components[name] = counts.components[i]!));
      const k = names.map(topkOf).find((x) => x !== undefined);
      const exact = JSON.stringify(names.filter((n) => topkOf(n) === undefined));
      const labelled =
        counts.labelled ??
        this.#s.labelledCount.get({ ds: datasetId, tid, names: exact, k: k ?? -1, n: names.length })!.n;
      return {
        fingerprint: t.fingerprint,
        spec: t.spec,
        labelled,
        components,
        bytes: this.#s.outputBytes.get(datasetId, tid)!.b ?? 0,
      };
    });
    const originals = c.originals ?? 0;
    return {
      id: datasetId,
      examples: c.n,
      originals,
      augmentations: c.n - originals,
      uniqueInputs: c.unique_inputs,
      teachers,
    };
  }
}
