/**
 * The soft-label store: one SQLite file (database.ts owns it and its migrations) and the repositories
 * that each prepare their own statements on it: datasets, examples, teachers, teacher outputs, stats.
 * Every write is one short IMMEDIATE transaction wrapped in withBusyRetry, never spanning an await.
 *
 * Clients depend on the repository interfaces (repositories.ts); `Store` implements them all by
 * handing each call to its repository, so one object can be passed wherever any of them is wanted.
 */
import { DatasetLockTable } from './dataset-lock-table.ts';
import { SequenceSummaries } from './sequence-summaries.ts';
import { StoreDatabase, type StoreOptions } from './database.ts';
import { SqliteDatasetRepository, type DatasetRepository } from './datasets-repository.ts';
import { SqliteExampleRepository, type ExampleRepository } from './examples-repository.ts';
import { SqliteStatsRepository, type StatsRepository } from './stats-repository.ts';
import { SqliteTeacherOutputRepository, type TeacherOutputRepository } from './teacher-outputs-repository.ts';
import { SqliteTeacherRepository, type TeacherRepository } from './teachers-repository.ts';
import { SequenceOutputs } from './sequence-outputs.ts';
import { DatasetSequenceRepository } from './dataset-sequences-repository.ts';

export { DATASET_ID_PATTERN } from './checks.ts';
export type { StoreOptions } from './database.ts';

export class Store
  implements DatasetRepository, ExampleRepository, TeacherRepository, TeacherOutputRepository, StatsRepository
{
  readonly #db: StoreDatabase;
  readonly path: string;
  readonly schemaVersion: number;
  /** which process writes which dataset (src/jobs/dataset-lock.ts holds the policy) */
  readonly locks: DatasetLockTable;
  /** per-sequence figures for reports, read without decoding top-k rows (src/store/sequence-summaries.ts) */
  readonly sequenceSummaries: SequenceSummaries;
  readonly datasets: SqliteDatasetRepository;
  readonly examples: SqliteExampleRepository;
  readonly teachers: SqliteTeacherRepository;
  readonly outputs: SqliteTeacherOutputRepository;
  readonly stats: SqliteStatsRepository;
  /** causal-LM per-token outputs (src/store/sequence-outputs.ts) */
  readonly sequences: SequenceOutputs;
  /** the rows of causal-LM datasets: sequence hash or refusal per corpus row */
  readonly datasetSequences: DatasetSequenceRepository;

  constructor(path: string, opts: StoreOptions = {}) {
    const db = (this.#db = new StoreDatabase(path, opts));
    this.path = db.path;
    this.schemaVersion = db.schemaVersion;
    this.locks = new DatasetLockTable(db.sql, () => db.check());
    this.sequenceSummaries = new SequenceSummaries(db.sql);
    this.datasets = new SqliteDatasetRepository(db);
    this.examples = new SqliteExampleRepository(db, this.datasets);
    this.teachers = new SqliteTeacherRepository(db, this.datasets);
    this.outputs = new SqliteTeacherOutputRepository(db, this.datasets, this.teachers);
    this.stats = new SqliteStatsRepository(db, this.datasets, this.teachers);
    this.sequences = new SequenceOutputs(db.sql, { now: () => Math.floor(db.now().getTime() / 1000) });
    this.datasetSequences = new DatasetSequenceRepository(db, this.datasets);
  }

  // datasets
  createDataset: DatasetRepository['createDataset'] = (input) => this.datasets.createDataset(input);
  getDataset: DatasetRepository['getDataset'] = (id) => this.datasets.getDataset(id);
  requireDataset: DatasetRepository['requireDataset'] = (id) => this.datasets.requireDataset(id);
  listDatasets: DatasetRepository['listDatasets'] = () => this.datasets.listDatasets();
  setDatasetManifest: DatasetRepository['setDatasetManifest'] = (id, m) => this.datasets.setDatasetManifest(id, m);
  deleteDataset: DatasetRepository['deleteDataset'] = (id) => this.datasets.deleteDataset(id);

  // examples
  addExamples: ExampleRepository['addExamples'] = (ds, ex, opts) => this.examples.addExamples(ds, ex, opts);
  addEncodedExamples: ExampleRepository['addEncodedExamples'] = (ds, rows, opts) =>
    this.examples.addEncodedExamples(ds, rows, opts);
  opStats: ExampleRepository['opStats'] = (ds) => this.examples.opStats(ds);
  setOpStats: ExampleRepository['setOpStats'] = (ds, stats) => this.examples.setOpStats(ds, stats);
  getExample: ExampleRepository['getExample'] = (ds, id) => this.examples.getExample(ds, id);
  iterateExamples: ExampleRepository['iterateExamples'] = (ds, opts) => this.examples.iterateExamples(ds, opts);
  exampleCounts: ExampleRepository['exampleCounts'] = (ds) => this.examples.exampleCounts(ds);
  labelTypes: ExampleRepository['labelTypes'] = (ds) => this.examples.labelTypes(ds);

  // teachers
  registerTeacher: TeacherRepository['registerTeacher'] = (info) => this.teachers.registerTeacher(info);
  getTeacher: TeacherRepository['getTeacher'] = (fp) => this.teachers.getTeacher(fp);
  linkTeacher: TeacherRepository['linkTeacher'] = (ds, fp, spec) => this.teachers.linkTeacher(ds, fp, spec);
  datasetTeachers: TeacherRepository['datasetTeachers'] = (ds) => this.teachers.datasetTeachers(ds);
  components: TeacherRepository['components'] = (fp, spec) => this.teachers.components(fp, spec);

  // teacher outputs
  putOutputs: TeacherOutputRepository['putOutputs'] = (fp, entries, opts) => this.outputs.putOutputs(fp, entries, opts);
  putEncodedOutputs: TeacherOutputRepository['putEncodedOutputs'] = (fp, entries, opts) =>
    this.outputs.putEncodedOutputs(fp, entries, opts);
  missingComponents: TeacherOutputRepository['missingComponents'] = (fp, hashes, spec) =>
    this.outputs.missingComponents(fp, hashes, spec);
  getOutputs: TeacherOutputRepository['getOutputs'] = (fp, hashes, spec) => this.outputs.getOutputs(fp, hashes, spec);
  iterateLabelled: TeacherOutputRepository['iterateLabelled'] = (ds, fp, spec, opts) =>
    this.outputs.iterateLabelled(ds, fp, spec, opts);
  countOutputs: TeacherOutputRepository['countOutputs'] = () => this.outputs.countOutputs();
  pruneOutputs: TeacherOutputRepository['pruneOutputs'] = (opts) => this.outputs.pruneOutputs(opts);

  // stats
  datasetStats: StatsRepository['datasetStats'] = (ds) => this.stats.datasetStats(ds);

  /**
   * Runs `fn` in one write transaction: the store writes it makes commit together or not at all (each
   * becomes a savepoint). Keep `fn` synchronous and short enough for other writers to wait it out.
   */
  transaction<T>(fn: () => T): T {
    this.#db.check();
    return this.#db.write(fn);
  }

  // the file
  vacuum(): { before: number; after: number } {
    return this.#db.vacuum();
  }

  integrityCheck(): string {
    return this.#db.integrityCheck();
  }

  get closed(): boolean {
    return this.#db.closed;
  }

  /** Closes the file; safe to call more than once. */
  close(): void {
    this.#db.close();
  }
}

export function openStore(path: string, opts: StoreOptions = {}): Store {
  return new Store(path, opts);
}
