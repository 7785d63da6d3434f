/**
 * The store as its clients see it: one interface per repository, and the two unions that export/,
 * report/ and http/ take instead of the concrete Store, so a repository can change storage (part
 * files, a remote cache, per-token rows) behind the same calls.
 */
import type { DatasetRepository } from './datasets-repository.ts';
import type { DatasetSequenceRepository } from './dataset-sequences-repository.ts';
import type { SequenceOutputs } from './sequence-outputs.ts';
import type { SequenceSummaries } from './sequence-summaries.ts';
import type { ExampleRepository } from './examples-repository.ts';
import type { StatsRepository } from './stats-repository.ts';
import type { TeacherOutputRepository } from './teacher-outputs-repository.ts';
import type { TeacherRepository } from './teachers-repository.ts';

export type { DatasetRepository, ExampleRepository, StatsRepository, TeacherOutputRepository, TeacherRepository };

/** Reading a dataset with its teachers' outputs: what exports and reports need. */
export type DatasetReader = DatasetRepository & ExampleRepository & TeacherRepository & TeacherOutputRepository;

/**
 * What an export reads: a dataset's teachers, its label types and its labelled rows in order. The store
 * is one; a job's part files are another (src/jobs/scale/parts-reader.ts: exports with no store).
 */
export type ExportSource = Pick<DatasetRepository, 'requireDataset'> &
  Pick<ExampleRepository, 'labelTypes'> &
  Pick<TeacherRepository, 'datasetTeachers' | 'components'> &
  Pick<TeacherOutputRepository, 'iterateLabelled'>;

/** A reader that also counts: what the HTTP dataset routes and the dashboard need. */
export type DatasetCatalog = DatasetReader & StatsRepository;

/** Reading a causal-LM dataset: its sequences in order and their stored per-token outputs. */
export interface SequenceDatasetReader {
  readonly datasetSequences: Pick<DatasetSequenceRepository, 'iterate' | 'counts'>;
  readonly sequences: Pick<SequenceOutputs, 'getMany'>;
  readonly sequenceSummaries: Pick<SequenceSummaries, 'getMany'>;
}
