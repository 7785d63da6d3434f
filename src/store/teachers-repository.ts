/** Teachers by fingerprint (with their info, so specs can say 'all' / 'last'), and which datasets they label. */
import type { Statement } from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec, TeacherInfo } from '../core/types.ts';
import { componentsForSpec, layerCountsOf, type Component } from './components.ts';
import type { StoreDatabase } from './database.ts';
import type { DatasetRepository } from './datasets-repository.ts';
import type { DatasetTeacher } from './types.ts';

export interface TeacherRepository {
  /** Records a teacher's info (layer counts let specs say 'all' / 'last'). */
  registerTeacher(info: TeacherInfo): void;
  getTeacher(fingerprint: string): TeacherInfo | undefined;
  /** Records that `datasetId` is labelled by this teacher with this spec. */
  linkTeacher(datasetId: string, fingerprint: string, spec: OutputSpec): void;
  datasetTeachers(datasetId: string): DatasetTeacher[];
  /** Components `spec` needs for this teacher (layers 'all'/'last' resolved from its registered info). */
  components(fingerprint: string, spec: OutputSpec): Component[];
}

export class SqliteTeacherRepository implements TeacherRepository {
  readonly #db: StoreDatabase;
  readonly #datasets: DatasetRepository;
  readonly #ids = new Map<string, number>();
  readonly #s: {
    insert: Statement;
    id: Statement<[string], { id: number }>;
    setInfo: Statement;
    info: Statement<[string], { info: string | null }>;
    link: Statement;
    ofDataset: Statement<[string], { fingerprint: string; spec: string; info: string | null }>;
  };

  constructor(db: StoreDatabase, datasets: DatasetRepository) {
    this.#db = db;
    this.#datasets = datasets;
    const sql = db.sql;
    this.#s = {
      insert: sql.prepare('INSERT INTO teachers (fingerprint) VALUES (?) ON CONFLICT (fingerprint) DO NOTHING'),
      id: sql.prepare<[string], { id: number }>('SELECT id FROM teachers WHERE fingerprint = ?'),
      setInfo: sql.prepare('UPDATE teachers SET info = ? WHERE fingerprint = ?'),
      info: sql.prepare<[string], { info: string | null }>('SELECT info FROM teachers WHERE fingerprint = ?'),
      link: sql.prepare(
        `INSERT INTO dataset_teachers (dataset_id, teacher_id, spec, added) VALUES (?, ?, ?, ?)
         ON CONFLICT (dataset_id, teacher_id) DO UPDATE SET spec = excluded.spec`,
      ),
      ofDataset: sql.prepare<[string], { fingerprint: string; spec: string; info: string | null }>(
        `SELECT t.fingerprint, dt.spec, t.info FROM dataset_teachers dt JOIN teachers t ON t.id = dt.teacher_id
         WHERE dt.dataset_id = ? ORDER BY dt.added, t.fingerprint`,
      ),
    };
  }

  registerTeacher(info: TeacherInfo): void {
    this.#db.check();
    this.#db.write(() => {
      this.#s.insert.run(info.fingerprint);
      this.#s.setInfo.run(JSON.stringify(info), info.fingerprint);
    });
  }

  getTeacher(fingerprint: string): TeacherInfo | undefined {
    this.#db.check();
    const row = this.#s.info.get(fingerprint);
    return row?.info ? (JSON.parse(row.info) as TeacherInfo) : undefined;
  }

  linkTeacher(datasetId: string, fingerprint: string, spec: OutputSpec): void {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    this.#db.write(() =>
      this.#s.link.run(
        datasetId,
        this.teacherId(fingerprint, true),
        JSON.stringify(spec),
        this.#db.now().toISOString(),
      ),
    );
  }

  datasetTeachers(datasetId: string): DatasetTeacher[] {
    this.#db.check();
    return this.#s.ofDataset.all(datasetId).map((r) => ({
      fingerprint: r.fingerprint,
      spec: JSON.parse(r.spec) as OutputSpec,
      info: r.info ? (JSON.parse(r.info) as TeacherInfo) : undefined,
    }));
  }

  components(fingerprint: string, spec: OutputSpec): Component[] {
    const info = this.getTeacher(fingerprint);
    return componentsForSpec(spec, info && layerCountsOf(info));
  }

  /**
   * The row id of a teacher, for the repositories that key outputs by it; `create` inserts it (call
   * inside a write transaction). Ids never change, so they are remembered.
   */
  teacherId(fingerprint: string, create: true): number;
  teacherId(fingerprint: string, create: false): number | undefined;
  teacherId(fingerprint: string, create: boolean): number | undefined {
    const known = this.#ids.get(fingerprint);
    if (known !== undefined) return known;
    if (typeof fingerprint !== 'string' || fingerprint.length === 0)
      throw new DistilleryError('INVALID_INPUT', 'a teacher fingerprint is required');
    if (create) this.#s.insert.run(fingerprint);
    const id = this.#s.id.get(fingerprint)?.id;
    if (id !== undefined) this.#ids.set(fingerprint, id);
    return id;
  }
}
