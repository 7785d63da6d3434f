/**
 * What a chunk needs beyond its lines: the job's teachers and augmenter, loaded once per job spec, and
 * the process's own store as the cache of teacher outputs. Shared by the queue worker and by
 * `run --shard i/n --parts DIR`, so both write the same parts.
 */
import { outputSpecOf, type JobSpec } from '../job-schema.ts';
import { refuseTopKBeyondClasses } from '../teacher-output-checks.ts';
import type { AugmenterFactory } from '../resolve-job.ts';
import type { JobTeacher } from '../runner/run-job.ts';
import { StoreRunnerAdapter } from '../runner/store-adapter.ts';
import type { Store } from '../../store/index.ts';
import type { TeacherRunner } from '../../core/types.ts';
import type { ChunkContext } from './chunk-work.ts';

export interface ChunkDeps {
  /** this process's store: its content-addressed cache */
  store: Store;
  teachers: { get(name: string): Promise<TeacherRunner> };
  augmenterFactory: AugmenterFactory;
}

export async function loadChunkContext(
  deps: ChunkDeps,
  jobId: string,
  job: JobSpec,
  corpusRecords: number,
): Promise<ChunkContext> {
  const teachers: JobTeacher[] = [];
  for (const t of job.teachers) teachers.push({ runner: await deps.teachers.get(t.name), weight: t.weight });
  refuseTopKBeyondClasses(outputSpecOf(job), teachers);
  const augmenter =
    job.recipe === null
      ? undefined
      : await deps.augmenterFactory(job.recipe, job.seed, {
          corpusRecords,
          teachers,
          ...(job.augmentModels ? { models: job.augmentModels } : {}),
        });
  return { jobId, job, teachers, augmenter, cache: new StoreRunnerAdapter(deps.store, job.chunkSize) };
}
