/**
 * `distillery run JOB.yaml --shard i/n --parts DIR` (write the parts of the chunks shard i owns, with no
 * queue: one pod of a Kubernetes Indexed Job) and `distillery run JOB.yaml --parts DIR` (merge them into
 * the store, then export as a plain run does; with --export-only, write the exports straight from the parts
 * and leave the store alone). docs/SCALE.md.
 */
import { DistilleryError } from '../core/errors.ts';
import {
  exportFromPartsDir,
  finalizeFromParts,
  makeAugmenterFactory,
  mergeSequenceParts,
  resolvePartsWhere,
  sequenceJobIssues,
  writeSequenceShardParts,
  writeShardParts,
  type JobSpec,
} from '../jobs/index.ts';
import type { ProgressMode, Runtime } from './job-runtime.ts';

export async function runShardParts(
  rt: Runtime,
  job: JobSpec,
  shard: { index: number; count: number },
  partsDir: string,
  progress: ProgressMode,
): Promise<void> {
  const dir = resolvePartsWhere(partsDir);
  const r = await writeShardParts(
    job,
    shard,
    dir,
    {
      store: rt.store,
      teachers: rt.registry,
      augmenterFactory: makeAugmenterFactory({ modelsDir: rt.config.modelsDir }),
    },
    (e) => {
      if (progress === 'none') return;
      const json = progress === 'json' || (progress === 'auto' && !process.stderr.isTTY);
      process.stderr.write(
        json
          ? `${JSON.stringify({ type: 'part', shard: `${shard.index}/${shard.count}`, ...e })}\n`
          : `chunk ${e.chunk}: ${e.examples} examples in ${e.seconds.toFixed(1)} s -> ${e.part}\n`,
      );
    },
  );
  console.log(
    `shard ${shard.index}/${shard.count} of job ${r.job}: ${r.written} parts written, ${r.present} already in ${dir} ` +
      `(${r.owned} chunks owned); merge with: distillery run JOB --parts ${dir}`,
  );
}

/** Returns the dataset id, for the exports. */
export async function mergePartsDir(rt: Runtime, job: JobSpec, partsDir: string): Promise<string> {
  const dir = resolvePartsWhere(partsDir);
  const r = await finalizeFromParts(job, dir, {
    store: rt.store,
    teachers: rt.registry,
    command: ['distillery', ...process.argv.slice(2)].join(' '),
  });
  console.log(
    r.status === 'up-to-date'
      ? `dataset ${r.dataset} is up to date: ${r.examples} examples from ${r.records} records; nothing merged`
      : `dataset ${r.dataset} done (merged ${r.chunks} parts of job ${r.job} from ${dir}): ${r.examples} examples from ${r.records} records`,
  );
  return r.dataset;
}

/** `run JOB --parts DIR --export-only`: the exports from the parts, nothing written to the store. */
export async function exportPartsDir(rt: Runtime, job: JobSpec, partsDir: string): Promise<void> {
  const dir = resolvePartsWhere(partsDir);
  const r = await exportFromPartsDir(job, dir, {
    teachers: rt.registry,
    command: `distillery ${process.argv.slice(2).join(' ')}`,
  });
  for (const e of r.exports)
    console.log(`exported ${e.manifest.rows} rows of ${r.dataset} as ${e.manifest.format}: ${e.manifestPath}`);
  console.log(
    `dataset ${r.dataset} exported straight from ${r.chunks} parts of job ${r.job} in ${dir} (no store): ${r.examples} examples from ${r.records} records`,
  );
}

/** A causal-LM job's teacher, after the job checks a plain run makes (the --shard flag aside). */
export async function causalTeacherFor(rt: Runtime, job: JobSpec, teacher: string) {
  const { shard: _shard, ...whole } = job;
  const issues = sequenceJobIssues(whole, rt.registry);
  if (issues.length > 0)
    throw new DistilleryError('INVALID_INPUT', `job: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      hint: 'fix the fields named above',
    });
  return rt.registry.getCausal(teacher);
}

/** `run JOB --shard i/n --parts DIR` for a causal-LM job: the sequence parts of the chunks shard i owns. */
export async function runCausalShardParts(
  rt: Runtime,
  job: JobSpec,
  teacherName: string,
  shard: { index: number; count: number },
  partsDir: string,
  progress: ProgressMode,
): Promise<void> {
  const dir = resolvePartsWhere(partsDir);
  const teacher = await causalTeacherFor(rt, job, teacherName);
  const r = await writeSequenceShardParts(job, shard, dir, { store: rt.store, teacher }, (e) => {
    if (progress === 'none') return;
    const json = progress === 'json' || (progress === 'auto' && !process.stderr.isTTY);
    process.stderr.write(
      json
        ? `${JSON.stringify({ type: 'part', shard: `${shard.index}/${shard.count}`, ...e })}\n`
        : `chunk ${e.chunk}: ${e.rows} rows (${e.computed} computed, ${e.cached} cached) in ${e.seconds.toFixed(1)} s -> ${e.part}\n`,
    );
  });
  console.log(
    `shard ${shard.index}/${shard.count} of job ${r.job}: ${r.written} parts written, ${r.present} already in ${dir} ` +
      `(${r.owned} chunks owned); merge with: distillery run JOB --parts ${dir}`,
  );
}

/** `run JOB --parts DIR` for a causal-LM job: the sequence parts merged into the store; the dataset id. */
export async function mergeCausalPartsDir(
  rt: Runtime,
  job: JobSpec,
  teacherName: string,
  partsDir: string,
): Promise<string> {
  const dir = resolvePartsWhere(partsDir);
  const teacher = await causalTeacherFor(rt, job, teacherName);
  const r = await mergeSequenceParts(job, dir, {
    store: rt.store,
    teacher,
    command: ['distillery', ...process.argv.slice(2)].join(' '),
  });
  const rows = `${r.rows - r.refused} labelled rows of ${r.rows} (${r.refused} refused)`;
  console.log(
    r.status === 'up-to-date'
      ? `dataset ${r.dataset} is up to date: ${rows}; nothing merged`
      : `dataset ${r.dataset} done (merged ${r.chunks} causal-LM parts of job ${r.job} from ${dir}): ${rows}`,
  );
  return r.dataset;
}
