/** Datasets: id, name, the job spec that made them and their manifest. */
import type { Statement } from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import { checkDatasetId } from './checks.ts';
import type { StoreDatabase } from './database.ts';
import type { DatasetRecord, NewDataset } from './types.ts';

export interface DatasetRepository {
  createDataset(input: NewDataset): DatasetRecord;
  getDataset(id: string): DatasetRecord | undefined;
  /** The dataset, or a NOT_FOUND error naming it. */
  requireDataset(id: string): DatasetRecord;
  listDatasets(): DatasetRecord[];
  setDatasetManifest(id: string, manifest: unknown): void;
  /** Deletes the dataset and its examples; cached teacher outputs stay (other datasets share them). */
  deleteDataset(id: string): boolean;
}

interface DatasetRow {
  id: string;
  name: string;
  created: string;
  spec: string | null;
  manifest: string | null;
}

const parseJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
const toDataset = (r: DatasetRow): DatasetRecord => ({
  id: r.id,
  name: r.name,
  created: r.created,
  spec: parseJson(r.spec),
  manifest: parseJson(r.manifest),
});

export class SqliteDatasetRepository implements DatasetRepository {
  readonly #db: StoreDatabase;
  readonly #s: {
    insert: Statement;
    get: Statement<[string], DatasetRow>;
    list: Statement<[], DatasetRow>;
    setManifest: Statement;
    delete: Statement;
  };

  constructor(db: StoreDatabase) {
    this.#db = db;
    const sql = db.sql;
    this.#s = {
      insert: sql.prepare('INSERT INTO datasets (id, name, created, spec, manifest) VALUES (?, ?, ?, ?, ?)'),
      get: sql.prepare<[string], DatasetRow>('SELECT id, name, created, spec, manifest FROM datasets WHERE id = ?'),
      list: sql.prepare<[], DatasetRow>('SELECT id, name, created, spec, manifest FROM datasets ORDER BY id'),
      setManifest: sql.prepare('UPDATE datasets SET manifest = ? WHERE id = ?'),
      delete: sql.prepare('DELETE FROM datasets WHERE id = ?'),
    };
  }

  createDataset(input: NewDataset): DatasetRecord {
    this.#db.check();
    checkDatasetId(input.id);
    const name = input.name ?? input.id;
    const created = this.#db.now().toISOString();
    const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
    try {
      this.#db.write(() => this.#s.insert.run(input.id, name, created, json(input.spec), json(input.manifest)));
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new DistilleryError('INVALID_INPUT', `dataset '${input.id}' already exists`, {
          hint: 'pick another id, or delete the dataset first',
        });
      }
      throw e;
    }
    return { id: input.id, name, created, spec: input.spec ?? null, manifest: input.manifest ?? null };
  }

  getDataset(id: string): DatasetRecord | undefined {
    this.#db.check();
    const row = this.#s.get.get(id);
    return row && toDataset(row);
  }

  requireDataset(id: string): DatasetRecord {
    const d = this.getDataset(id);
    if (!d)
      throw new DistilleryError('NOT_FOUND', `no dataset '${id}'`, {
        hint: 'list datasets with `distillery datasets list`',
      });
    return d;
  }

  listDatasets(): DatasetRecord[] {
    this.#db.check();
    return this.#s.list.all().map(toDataset);
  }

  setDatasetManifest(id: string, manifest: unknown): void {
    this.#db.check();
    this.requireDataset(id);
    this.#db.write(() => this.#s.setManifest.run(JSON.stringify(manifest ?? null), id));
  }

  deleteDataset(id: string): boolean {
    this.#db.check();
    return this.#db.write(() => this.#s.delete.run(id).changes > 0);
  }
}
