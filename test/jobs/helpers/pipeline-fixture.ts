/** Real components for pipeline tests: a temp SQLite store, the demo teacher (fp32 and q8), SST-2 paths. */
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config.ts';
import { parseJob, type JobInput } from '../../../src/jobs/job-schema.ts';
import { makeAugmenterFactory } from '../../../src/jobs/augmenter.ts';
import { resolveJob } from '../../../src/jobs/resolve-job.ts';
import { runJob, type JobResult, type RunJobOptions } from '../../../src/jobs/runner/run-job.ts';
import { openStore, type Store, type StoredExample } from '../../../src/store/index.ts';
import { TeacherRegistry } from '../../../src/teacher/registry.ts';

export const SHARED_DIR = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
export const SST2_DEV = path.join(SHARED_DIR, 'data/corpora/sst2/dev.jsonl');
export const DEMO_DIR = path.join(REPO_ROOT, 'models/demo-sentiment');

export function demoRegistry(): TeacherRegistry {
  return new TeacherRegistry(
    [
      { name: 'demo', path: DEMO_DIR, dtype: 'fp32', device: 'cpu', threads: 1 },
      { name: 'demo-q8', path: DEMO_DIR, dtype: 'q8', device: 'cpu', threads: 1 },
    ],
    { modelsDir: path.join(REPO_ROOT, 'models'), allowRemote: false },
  );
}

export async function run(
  store: Store,
  registry: TeacherRegistry,
  job: JobInput,
  extra: Partial<RunJobOptions> = {},
): Promise<JobResult> {
  const opts = await resolveJob(parseJob(job), { store, teachers: registry, augmenterFactory: makeAugmenterFactory() });
  return runJob({ ...opts, ...extra });
}

/** Rows as the export would see them: order, ids, texts, labels, provenance. */
export function rows(store: Store, dataset: string): Omit<StoredExample, 'ordinal'>[] {
  return [...store.iterateExamples(dataset)].map(({ ordinal: _o, ...rest }) => rest);
}

export { openStore };
