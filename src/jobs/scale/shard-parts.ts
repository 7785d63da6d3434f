/**
 * The queue-free way to spread a job: `run JOB --shard i/n --parts DIR` on n machines (a Kubernetes
 * Indexed Job: i = $JOB_COMPLETION_INDEX) writes the parts of the chunks it owns (chunk k belongs to
 * shard k mod n), the same files the queue workers write; then `run JOB --parts DIR` merges them into
 * the store as the queue's finalize does, so the export is the same bytes as a plain run.
 */
import { DistilleryError } from '../../core/errors.ts';
import { withDatasetLock } from '../dataset-lock.ts';
import type { JobSpec } from '../job-schema.ts';
import type { Store } from '../../store/index.ts';
import type { TeacherInfo, TeacherRunner } from '../../core/types.ts';
import { loadChunkContext, type ChunkDeps } from './chunk-context.ts';
import { processChunk } from './chunk-work.ts';
import { mergeParts, type ChunkResult, type FinalizeResult } from './finalize.ts';
import { partsOfJob } from './parts-dir.ts';
import { partsLocation, storePart, type PartsLocation } from './parts-location.ts';
import { planJob, type DistributedJob } from './plan.ts';
import { exportFromParts, type PartsCheck } from './export-from-parts.ts';
import type { ExportResult } from '../../export/index.ts';

export interface ShardChunkEvent {
  job: string;
  chunk: number;
  part: string;
  examples: number;
  computed: number;
  cached: number;
  seconds: number;
}

export interface ShardPartsResult {
  job: string;
  /** chunks this shard owns */
  owned: number;
  written: number;
  /** owned chunks whose part was in the directory already (a rerun after a crash) */
  present: number;
}

const wholeJob = (job: JobSpec): JobSpec => {
  const { shard: _shard, ...rest } = job;
  return rest;
};

export async function writeShardParts(
  job: JobSpec,
  shard: { index: number; count: number },
  partsDir: string,
  deps: ChunkDeps,
  onChunk?: (e: ShardChunkEvent) => void,
): Promise<ShardPartsResult> {
  const plan = await planJob(wholeJob(job));
  const owned = plan.chunks.filter((c) => c.index % shard.count === shard.index);
  const loc = partsLocation(partsDir);
  const { found } = await partsOfJob(loc, plan).finally(() => loc.close());
  const todo = owned.filter((c) => !found.has(c.index));
  if (todo.length > 0) {
    const ctx = await loadChunkContext(deps, plan.id, plan.job, plan.corpusRecords);
    for (const chunk of todo) {
      const started = performance.now();
      const outcome = await processChunk(ctx, chunk);
      const written = await storePart(loc, outcome.part);
      onChunk?.({
        job: plan.id,
        chunk: chunk.index,
        part: written.name,
        examples: outcome.part.header.examples.length,
        computed: outcome.computed,
        cached: outcome.cached,
        seconds: (performance.now() - started) / 1000,
      });
    }
  }
  return { job: plan.id, owned: owned.length, written: todo.length, present: owned.length - todo.length };
}

/**
 * The job's part of every chunk in `loc` as chunk results, and a local directory of them; refuses while any
 * chunk has none.
 */
async function partsDirResults(
  job: JobSpec,
  loc: PartsLocation,
  teachers: { get(name: string): Promise<TeacherRunner> },
): Promise<{ plan: DistributedJob; results: ChunkResult[]; dir: string }> {
  const plan = await planJob(wholeJob(job));
  const { found, missing } = await partsOfJob(loc, plan);
  if (missing.length > 0)
    throw new DistilleryError(
      'INVALID_INPUT',
      `${missing.length} of ${plan.chunks.length} chunks of job ${plan.id} have no part in ${loc.where}: chunk ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`,
      {
        hint: 'run the shards that own them (chunk k belongs to shard k mod n): distillery run JOB --shard i/n --parts DIR',
      },
    );
  // the teachers as this machine loads them; each part must be from the same files
  const infos: TeacherInfo[] = [];
  for (const t of plan.job.teachers) infos.push((await teachers.get(t.name)).info);
  const results: ChunkResult[] = plan.chunks.map((c) => {
    const p = found.get(c.index)!;
    return {
      chunk: c.index,
      part: p.name,
      sha256: p.sha256,
      bytes: p.bytes,
      examples: p.examples,
      computed: 0,
      cached: 0,
      teachers: infos,
      worker: 'parts',
      seconds: 0,
    };
  });
  return { plan, results, dir: await loc.local(results.map((r) => ({ name: r.part, sha256: r.sha256 }))) };
}

/** Merge a parts directory written by the shards into `store`; refuses while any chunk has no part. */
export async function finalizeFromParts(
  job: JobSpec,
  partsDir: string,
  deps: { store: Store; teachers: { get(name: string): Promise<TeacherRunner> }; command: string },
): Promise<FinalizeResult & { job: string }> {
  const loc = partsLocation(partsDir);
  try {
    const { plan, results, dir } = await partsDirResults(job, loc, deps.teachers);
    const r = await withDatasetLock(deps.store, job.dataset, deps.command, () =>
      mergeParts(deps.store, plan.job, dir, results),
    );
    return { ...r, job: plan.id };
  } finally {
    await loc.close();
  }
}

/** The job's exports written straight from a parts directory, with no store (`run --parts DIR --export-only`). */
export async function exportFromPartsDir(
  job: JobSpec,
  partsDir: string,
  deps: { teachers: { get(name: string): Promise<TeacherRunner> }; command: string },
): Promise<PartsCheck & { job: string; exports: ExportResult[] }> {
  const loc = partsLocation(partsDir);
  try {
    const { plan, results, dir } = await partsDirResults(job, loc, deps.teachers);
    return { ...exportFromParts(plan.job, dir, results, deps.command), job: plan.id };
  } finally {
    await loc.close();
  }
}
