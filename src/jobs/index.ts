/** The jobs module's public surface, for the CLI, the HTTP service and eval: others import from here only. */
export {
  jobSchema,
  remoteJobSchema,
  temperaturesSchema,
  shardSchema,
  recipeSchema,
  parseJob,
  parseJobYaml,
  outputSpecOf,
  formatPath,
  type JobSpec,
  type JobInput,
  type JobIssue,
} from './job-schema.ts';
export { resolveJob, resolveJobPaths, type JobDeps, type TeacherSource, type AugmenterFactory } from './resolve-job.ts';
export { makeAugmenterFactory, withCorpusSize } from './augmenter.ts';
export { AugmentModels, augmentModelsExample, serverConfigHint, type MissingModelHint } from './augment-models.ts';
export { augmentFile } from './augment-file.ts';
export { DatasetLock, withDatasetLock } from './dataset-lock.ts';
export { startJob, JobHandle, type JobState, type JobStatus } from './runner/job-handle.ts';
export { runJob, jobIdentity, type JobResult, type RunJobOptions, type JobTeacher } from './runner/run-job.ts';
export type { ProgressEvent, ProgressListener } from './runner/progress.ts';
export { progressPrinter, renderBar } from './runner/progress.ts';
export { mergeShards } from './runner/merge-shards.ts';
export { shardDatasetId } from './runner/shard.ts';
export { exportJobTargets, exportJobEnsembles, resolveTeacherFingerprint } from './export-targets.ts';
export { readCorpus, scanCorpus, newCorpusStats, type CorpusOptions, type CorpusRecord } from './corpus/index.ts';
export { InProcessJobQueue, type InProcessJobQueueOptions, type JobQueue, type JobView } from './queue/index.ts';
export { AugmentPool, DeadlineExceededError, type AugmentPoolOptions } from './augment-pool.ts';
// distributed jobs on BullMQ (docs/SCALE.md)
export { cancelKey } from './scale/connection.ts';
export type { DistributedStatus, QueueClient } from './scale/job-status.ts';
export type { FinalizeResult } from './scale/finalize.ts';
export type { QueueOverview } from './scale/queue-overview.ts';
/** BullMQ and ioredis load only in the commands that talk to the queue (start-up of all the others). */
export const loadQueueRuntime = () => import('./scale/queue-runtime.ts');
// causal-LM (text-generation) jobs: docs/LLM-TEACHERS.md, "Jobs"
export { runSequenceJob, type SequenceDatasetSpec } from './sequence/run-sequence-job.ts';
export { sequenceDatasetOf } from './sequence/sequence-dataset.ts';
export {
  exportSequenceDataset,
  type SequenceExportOptions,
  type SequenceExportResult,
} from './sequence/sequence-export.ts';
export { sequenceExportStream } from './sequence/sequence-export-stream.ts';
export { causalTeacherOf, sequenceJobIssues, type CausalTeacherFacts } from './sequence/sequence-job-checks.ts';
export { readSequenceCorpus, type SequenceRecord } from './corpus/index.ts';
export { labelSequences, type SequenceRow, type SequenceLabelReport } from './sequence-labeler.ts';
export { DEFAULT_SEQUENCE_JOB, sequenceJobSchema, type SequenceJob } from './sequence/sequence-job-schema.ts';
export { writeShardParts, finalizeFromParts, exportFromPartsDir, type ShardChunkEvent } from './scale/shard-parts.ts';
export { writeSequenceShardParts, mergeSequenceParts, type SequenceChunkEvent } from './scale/sequence-parts.ts';
export { exportFromParts, checkExportOnlyJob } from './scale/export-from-parts.ts';
export { partsLocation, resolvePartsWhere, type PartsLocation } from './scale/parts-location.ts';
