/**
 * Causal-LM datasets: the sequences a dataset is made of (by content hash, in order) and the teachers
 * that labelled it with their SequenceOutputSpec (tables dataset_sequences and dataset_sequence_teachers,
 * migration 0006). The per-token outputs stay in SequenceOutputs, shared by every dataset.
 */
import type { Statement } from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import type { DatasetRepository } from './datasets-repository.ts';
import type { StoreDatabase } from './database.ts';

export interface DatasetSequenceRef {
  /** the corpus row's id, unique in the dataset */
  id: string;
  /** SequenceOutputs.hash of its sequence, hex */
  hash: string;
  provenance?: string;
}

export interface DatasetSequenceTeacher {
  fingerprint: string;
  /** the teacher's configured name when it labelled the dataset */
  name: string;
  spec: SequenceOutputSpec;
}

export interface DatasetSequenceRepository {
  /** Appends rows in order; ids already in the dataset are skipped (a resumed job re-adds safely). */
  addSequences(datasetId: string, refs: readonly DatasetSequenceRef[]): { inserted: number; skipped: number };
  /** Records that `fingerprint` labelled the dataset with `spec` (a later call replaces the spec). */
  linkSequenceTeacher(datasetId: string, teacher: DatasetSequenceTeacher): void;
  sequenceTeachers(datasetId: string): DatasetSequenceTeacher[];
  countSequences(datasetId: string): number;
  /** The dataset's rows in order, read a page at a time. */
  iterateSequences(datasetId: string, opts?: { pageSize?: number; offset?: number }): Generator<DatasetSequenceRef>;
}

type RefRow = [ordinal: number, id: string, hash: Buffer, provenance: string | null];

export class SqliteDatasetSequenceRepository implements DatasetSequenceRepository {
  readonly #db: StoreDatabase;
  readonly #datasets: DatasetRepository;
  readonly #s: {
    maxOrdinal: Statement<[string], { m: number }>;
    insert: Statement;
    count: Statement<[string], { n: number }>;
    page: Statement<[string, number, number], RefRow>;
    skip: Statement<[string, number], { ordinal: number }>;
    insertTeacher: Statement;
    teacherId: Statement<[string], { id: number }>;
    link: Statement;
    teachers: Statement<[string], { fingerprint: string; name: string; spec: string }>;
  };

  constructor(db: StoreDatabase, datasets: DatasetRepository) {
    this.#db = db;
    this.#datasets = datasets;
    const sql = db.sql;
    this.#s = {
      maxOrdinal: sql.prepare('SELECT coalesce(max(ordinal), 0) AS m FROM dataset_sequences WHERE dataset_id = ?'),
      insert: sql.prepare(
        `INSERT INTO dataset_sequences (dataset_id, ordinal, id, hash, provenance) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (dataset_id, id) DO NOTHING`,
      ),
      count: sql.prepare('SELECT count(*) AS n FROM dataset_sequences WHERE dataset_id = ?'),
      page: sql
        .prepare<[string, number, number], RefRow>(
          `SELECT ordinal, id, hash, provenance FROM dataset_sequences
           WHERE dataset_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?`,
        )
        .raw(true),
      // the ordinal just before the offset-th row, so a page can start there
      skip: sql.prepare('SELECT ordinal FROM dataset_sequences WHERE dataset_id = ? ORDER BY ordinal LIMIT 1 OFFSET ?'),
      insertTeacher: sql.prepare('INSERT INTO teachers (fingerprint) VALUES (?) ON CONFLICT (fingerprint) DO NOTHING'),
      teacherId: sql.prepare('SELECT id FROM teachers WHERE fingerprint = ?'),
      link: sql.prepare(
        `INSERT INTO dataset_sequence_teachers (dataset_id, teacher_id, name, spec, added) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (dataset_id, teacher_id) DO UPDATE SET name = excluded.name, spec = excluded.spec`,
      ),
      teachers: sql.prepare(
        `SELECT t.fingerprint, d.name, d.spec FROM dataset_sequence_teachers d JOIN teachers t ON t.id = d.teacher_id
         WHERE d.dataset_id = ? ORDER BY d.added, t.fingerprint`,
      ),
    };
  }

  addSequences(datasetId: string, refs: readonly DatasetSequenceRef[]): { inserted: number; skipped: number } {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    const rows = refs.map((r) => {
      if (typeof r.id !== 'string' || r.id === '')
        throw new DistilleryError('INVALID_INPUT', 'a dataset sequence needs a non-empty id');
      if (!/^[0-9a-f]{64}$/.test(r.hash))
        throw new DistilleryError('INVALID_INPUT', `sequence "${r.id}": hash must be 64 hex digits, got "${r.hash}"`);
      return [r.id, Buffer.from(r.hash, 'hex'), r.provenance ?? null] as const;
    });
    return this.#db.write(() => {
      let ordinal = this.#s.maxOrdinal.get(datasetId)!.m;
      let inserted = 0;
      for (const [id, hash, provenance] of rows) {
        if (this.#s.insert.run(datasetId, ordinal + 1, id, hash, provenance).changes === 0) continue;
        ordinal++;
        inserted++;
      }
      return { inserted, skipped: rows.length - inserted };
    });
  }

  linkSequenceTeacher(datasetId: string, teacher: DatasetSequenceTeacher): void {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    const added = this.#db.now().toISOString();
    this.#db.write(() => {
      this.#s.insertTeacher.run(teacher.fingerprint);
      const id = this.#s.teacherId.get(teacher.fingerprint)!.id;
      this.#s.link.run(datasetId, id, teacher.name, JSON.stringify(teacher.spec), added);
    });
  }

  sequenceTeachers(datasetId: string): DatasetSequenceTeacher[] {
    this.#db.check();
    return this.#s.teachers.all(datasetId).map((r) => ({
      fingerprint: r.fingerprint,
      name: r.name,
      spec: JSON.parse(r.spec) as SequenceOutputSpec,
    }));
  }

  countSequences(datasetId: string): number {
    this.#db.check();
    return this.#s.count.get(datasetId)!.n;
  }

  *iterateSequences(
    datasetId: string,
    opts: { pageSize?: number; offset?: number } = {},
  ): Generator<DatasetSequenceRef> {
    this.#db.check();
    const pageSize = opts.pageSize ?? 256;
    const offset = opts.offset ?? 0;
    let after = 0;
    if (offset > 0) {
      const at = this.#s.skip.get(datasetId, offset - 1);
      if (!at) return;
      after = at.ordinal;
    }
    for (;;) {
      const page = this.#s.page.all(datasetId, after, pageSize);
      for (const [, id, hash, provenance] of page)
        yield provenance === null ? { id, hash: hash.toString('hex') } : { id, hash: hash.toString('hex'), provenance };
      if (page.length < pageSize) return;
      after = page[page.length - 1]![0];
    }
  }
}
