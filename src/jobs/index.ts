/** The jobs module's public surface, for the CLI and the HTTP service (POST /v1/jobs). */
export {
  jobSchema,
  parseJob,
  parseJobYaml,
  outputSpecOf,
  formatPath,
  type JobSpec,
  type JobInput,
  type JobIssue,
} from './job-schema.ts';
export { resolveJob, resolveJobPaths, type JobDeps, type TeacherSource, type AugmenterFactory } from './resolve-job.ts';
export { makeAugmenterFactory } from './augmenter.ts';
export { startJob, JobHandle, type JobState, type JobStatus } from './runner/job-handle.ts';
export { runJob, jobIdentity, type JobResult, type RunJobOptions, type JobTeacher } from './runner/run-job.ts';
export type { ProgressEvent, ProgressListener } from './runner/progress.ts';
export { progressPrinter, renderBar } from './runner/progress.ts';
export { mergeShards } from './runner/merge-shards.ts';
export { shardDatasetId } from './runner/shard.ts';
export { exportJobTargets, exportJobEnsembles, resolveTeacherFingerprint } from './export-targets.ts';
export { exportEnsemble } from './ensemble-export.ts';
export { evaluateTeacher, formatEvalReport, type EvalReport } from './eval/evaluate.ts';
export { readCorpus, scanCorpus, type CorpusOptions, type CorpusRecord } from './corpus/index.ts';
