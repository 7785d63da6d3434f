/**
 * From a validated job to what the runner needs: its teachers loaded from the registry and its store
 * adapter. Both front doors (CLI and HTTP) call this, then start the job.
 */
import path from 'node:path';
import { isS3Url } from '../storage/s3-url.ts';
import { DistilleryError } from '../core/errors.ts';
import type { TeacherRunner } from '../core/types.ts';
import type { Store } from '../store/index.ts';
import type { CausalGenerator } from '../teacher/causal/causal-generator.ts';
import type { CausalTeacher } from '../teacher/causal/causal-teacher.ts';
import { outputSpecOf, type JobSpec } from './job-schema.ts';
import { refuseTopKBeyondClasses } from './teacher-output-checks.ts';
import { causalTeacherOf, sequenceJobIssues, type CausalTeacherFacts } from './sequence/sequence-job-checks.ts';
import type { ChunkAugmenter } from './runner/ports.ts';
import type { JobTeacher, RunJobOptions } from './runner/run-job.ts';
import { StoreRunnerAdapter } from './runner/store-adapter.ts';

export interface TeacherSource extends CausalTeacherFacts {
  get(name: string): Promise<TeacherRunner>;
  /** text-generation teachers (a registry has them; a source without them runs classifier jobs only) */
  getCausal?(name: string): Promise<CausalTeacher>;
  /** the same teacher as a writer, for jobs with `sequence.generate` */
  getGenerator?(name: string): Promise<CausalGenerator>;
}

/** Builds the recipe's augmenter; `corpusRecords` is the whole corpus size (EDA picks its parameters from it). */
export type AugmenterFactory = (
  recipe: unknown,
  seed: number | string,
  ctx: { corpusRecords: number; teachers: readonly JobTeacher[]; models?: JobSpec['augmentModels'] },
) => Promise<ChunkAugmenter>;

export interface JobDeps {
  store: Store;
  teachers: TeacherSource;
  augmenterFactory?: AugmenterFactory;
}

/** Relative corpus and export paths in a job file are relative to the file, as in any config. */
export function resolveJobPaths(job: JobSpec, baseDir: string): JobSpec {
  return {
    ...job,
    // an s3:// corpus is a URL, not a path
    corpus: {
      ...job.corpus,
      path: isS3Url(job.corpus.path) ? job.corpus.path : path.resolve(baseDir, job.corpus.path),
    },
    export: job.export.map((t) => ({ ...t, out: path.resolve(baseDir, t.out) })),
  };
}

export async function resolveJob(job: JobSpec, deps: JobDeps): Promise<Omit<RunJobOptions, 'signal' | 'onProgress'>> {
  const issues = sequenceJobIssues(job, deps.teachers);
  if (issues.length > 0)
    throw new DistilleryError('INVALID_INPUT', `job: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      hint: 'fix the fields named above',
      details: { issues },
    });
  const causal = causalTeacherOf(job, deps.teachers);
  if (causal !== undefined && deps.teachers.getCausal) {
    const teacher = await deps.teachers.getCausal(causal);
    let generator: CausalGenerator | undefined;
    if (job.sequence?.generate) {
      if (!deps.teachers.getGenerator) throw new Error('this job generates but its teacher source has no generators');
      generator = await deps.teachers.getGenerator(causal);
    }
    return {
      job,
      store: new StoreRunnerAdapter(deps.store, job.chunkSize),
      teachers: [],
      augmenter: undefined,
      causal: { teacher, store: deps.store, ...(generator ? { generator } : {}) },
    };
  }
  const teachers: JobTeacher[] = [];
  for (const t of job.teachers) teachers.push({ runner: await deps.teachers.get(t.name), weight: t.weight });
  refuseTopKBeyondClasses(outputSpecOf(job), teachers);
  const opts: Omit<RunJobOptions, 'signal' | 'onProgress'> = {
    job,
    store: new StoreRunnerAdapter(deps.store, job.chunkSize),
    teachers,
    augmenter: undefined,
  };
  if (job.recipe !== null) {
    if (!deps.augmenterFactory) throw new Error('this job has a recipe but no augmentation engine was given');
    opts.augmenterFactory = (corpusRecords: number) =>
      deps.augmenterFactory!(job.recipe, job.seed, {
        corpusRecords,
        teachers,
        ...(job.augmentModels ? { models: job.augmentModels } : {}),
      });
  }
  return opts;
}
