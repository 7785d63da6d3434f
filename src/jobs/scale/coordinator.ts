/**
 * The coordinator of a distributed job: plans it, queues it as one BullMQ flow (label-chunk children on
 * the shared chunk queue, a finalize parent on the job's own queue) unless Redis already holds it, in
 * which case it attaches; then serves the finalize step itself, since the dataset goes into its store.
 * The children may fail alone (`ignoreDependencyOnFailure`): the others finish, and finalize reports
 * which chunks failed, why, and which records they hold.
 */
import path from 'node:path';
import { FlowProducer, UnrecoverableError, Worker, type Job } from 'bullmq';
import { DistilleryError } from '../../core/errors.ts';
import { withDatasetLock } from '../dataset-lock.ts';
import type { JobSpec } from '../job-schema.ts';
import type { Store } from '../../store/index.ts';
import type { ChunkJobData } from './chunk-worker.ts';
import { closeWorker } from './close-worker.ts';
import { CHUNK_QUEUE, PREFIX, cancelKey, chunkJobId, finalizeQueue, redisConnection } from './connection.ts';
import { mergeParts, type ChunkResult, type FinalizeResult } from './finalize.ts';
import { orderedResults } from './chunk-parts.ts';
import { partsLocation, resolvePartsWhere } from './parts-location.ts';
import { checkPartsForExport } from './export-from-parts.ts';
import { QueueClient, readStatus, type DistributedStatus } from './job-status.ts';
import { planJob, type ChunkPlan } from './plan.ts';
import { finalizeSequenceParts } from './sequence-finalize.ts';
import { planSequenceJob } from './sequence-plan.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';

export interface CoordinatorOptions {
  url: string;
  store: Store;
  /** shared directory or s3:// prefix for the parts; default `<baseDir>/parts/<job id>` */
  partsDir?: string;
  baseDir: string;
  /** tries per chunk before it counts as failed */
  attempts: number;
  backoffMs: number;
  lockDuration?: number;
  stalledInterval?: number;
  pollMs?: number;
  command: string;
  /** `store` (default): merge the parts into `store`; `exports`: only check them, for exports written from them */
  finalize?: 'store' | 'exports';
  /**
   * A causal-LM job's teacher, loaded here for the dataset's identity and fingerprint: the chunks are
   * labelled into sequence parts, which finalize merges as `run JOB --parts DIR` does (into the store only)
   */
  causal?: CausalTeacher;
  onStatus?: (s: DistributedStatus) => void;
  /** aborting stops following the job; workers go on and the same command attaches later */
  signal?: AbortSignal;
}

export interface CoordinatorResult {
  id: string;
  /** where the parts are */
  partsDir: string;
  attached: boolean;
  /** the job had finished before this coordinator attached: nothing ran */
  upToDate: boolean;
  status: DistributedStatus;
  result: FinalizeResult;
}

interface FinalizeData {
  jobId: string;
  job: JobSpec;
  partsDir: string;
  chunks: ChunkPlan[];
}

const stoppedFollowing = (id: string): DistilleryError =>
  new DistilleryError('CANCELLED', `stopped following job ${id}; its chunks go on`, {
    hint: 'run the same command to attach again',
  });

/** A status read, given up when the user stops following: while Redis is down a read waits for it. */
async function readOrStop(qc: QueueClient, id: string, signal?: AbortSignal): Promise<DistributedStatus | undefined> {
  if (!signal) return await readStatus(qc, id);
  if (signal.aborted) throw stoppedFollowing(id);
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(stoppedFollowing(id));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([readStatus(qc, id), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function failureReport(failures: { chunk: number; reason: string }[], chunks: readonly ChunkPlan[]): string {
  return failures
    .map((f) => {
      const c = chunks[f.chunk];
      const rows = c ? ` (records ${c.recordsBefore + 1}-${c.recordsBefore + c.records})` : '';
      return `chunk ${f.chunk}${rows}: ${f.reason}`;
    })
    .join('; ');
}

/** Finalize with no store: every part read and checked; the caller writes the exports from them. */
function checkedForExport(job: JobSpec, partsDir: string, results: readonly ChunkResult[]): FinalizeResult {
  const c = checkPartsForExport(job, partsDir, results);
  const { sorted, infos } = orderedResults(results);
  return {
    status: 'done',
    dataset: c.dataset,
    records: c.records,
    examples: c.examples,
    chunks: c.chunks,
    computed: sorted.reduce((n, r) => n + r.computed, 0),
    cached: sorted.reduce((n, r) => n + r.cached, 0),
    counts: c.counts,
    exportOnly: {
      teachers: infos,
      parts: sorted.map((r) => ({ chunk: r.chunk, part: r.part, sha256: r.sha256, bytes: r.bytes })),
    },
  };
}

export async function runCoordinator(job: JobSpec, opts: CoordinatorOptions): Promise<CoordinatorResult> {
  const causal = opts.causal;
  if (causal && opts.finalize === 'exports')
    throw new DistilleryError('INVALID_INPUT', '--export-only: causal-LM parts are merged into the store');
  const plan = causal ? await planSequenceJob(job) : await planJob(job);
  const partsDir = resolvePartsWhere(opts.partsDir ?? path.join(opts.baseDir, 'parts', plan.id));
  const connection = redisConnection(opts.url);
  const qc = new QueueClient(opts.url);
  let worker: Worker<FinalizeData, FinalizeResult> | undefined;
  try {
    let parent = await qc.parent(plan.id);
    const attached = parent !== undefined;
    const upToDate = attached && (await parent!.getState()) === 'completed';
    if (!parent) {
      const flow = new FlowProducer({ connection, prefix: PREFIX });
      try {
        const tree = await flow.add({
          name: 'finalize',
          queueName: finalizeQueue(plan.id),
          data: { jobId: plan.id, job, partsDir, chunks: plan.chunks } satisfies FinalizeData,
          opts: { jobId: plan.id, attempts: 3, backoff: { type: 'fixed', delay: opts.backoffMs } },
          children: plan.chunks.map((chunk) => ({
            name: 'label-chunk',
            queueName: CHUNK_QUEUE,
            data: {
              jobId: plan.id,
              specHash: plan.specHash,
              job,
              corpusRecords: plan.corpusRecords,
              partsDir,
              chunk,
              ...(causal ? { causal: { teacher: causal.info.name } } : {}),
            } satisfies ChunkJobData,
            opts: {
              jobId: chunkJobId(plan.id, chunk.index),
              attempts: opts.attempts,
              backoff: { type: 'fixed', delay: opts.backoffMs },
              ignoreDependencyOnFailure: true,
            },
          })),
        });
        parent = tree.job;
      } finally {
        await flow.close();
      }
    }

    worker = new Worker<FinalizeData, FinalizeResult>(
      finalizeQueue(plan.id),
      async (bj: Job<FinalizeData, FinalizeResult>) => {
        const d = bj.data;
        if ((await qc.redis.exists(cancelKey(d.jobId))) === 1) throw new UnrecoverableError('cancelled');
        const failures = Object.entries(await bj.getIgnoredChildrenFailures()).map(([k, reason]) => ({
          chunk: Number(/chunk-(\d+)$/.exec(k)?.[1] ?? -1),
          reason,
        }));
        if (failures.length > 0) {
          failures.sort((a, b) => a.chunk - b.chunk);
          throw new UnrecoverableError(
            `${failures.length} of ${d.chunks.length} chunks failed: ${failureReport(failures, d.chunks)}`,
          );
        }
        const results = Object.values(await bj.getChildrenValues<ChunkResult>());
        if (causal)
          return await finalizeSequenceParts(d.job, d.jobId, d.partsDir, results, {
            store: opts.store,
            teacher: causal,
            command: opts.command,
          });
        // the parts as a local directory: the shared one, or a checked copy of an s3:// prefix's
        const loc = partsLocation(d.partsDir);
        try {
          const dir = await loc.local(results.map((r) => ({ name: r.part, sha256: r.sha256 })));
          if (opts.finalize === 'exports') return checkedForExport(d.job, dir, results);
          return await withDatasetLock(opts.store, d.job.dataset, opts.command, () =>
            mergeParts(opts.store, d.job, dir, results),
          );
        } finally {
          await loc.close();
        }
      },
      {
        connection,
        prefix: PREFIX,
        concurrency: 1,
        ...(opts.lockDuration ? { lockDuration: opts.lockDuration } : {}),
        ...(opts.stalledInterval ? { stalledInterval: opts.stalledInterval } : {}),
      },
    );
    worker.on('error', () => undefined);

    let last = '';
    for (;;) {
      const s = await readOrStop(qc, plan.id, opts.signal);
      if (!s) throw new DistilleryError('NOT_FOUND', `job ${plan.id} disappeared from Redis`);
      const key = JSON.stringify({ ...s, workers: s.workers.map((w) => [w.worker, w.chunks]), etaSeconds: 0 });
      if (key !== last) {
        last = key;
        opts.onStatus?.(s);
      }
      if (s.state === 'done') return { id: plan.id, partsDir, attached, upToDate, status: s, result: s.result! };
      if (s.state === 'failed' || s.state === 'cancelled') {
        throw new DistilleryError(
          s.state === 'cancelled' ? 'CANCELLED' : 'INVALID_INPUT',
          `job ${plan.id} ${s.state}: ${s.error}`,
          {
            hint: `see distillery jobs status ${plan.id} --queue ${opts.url}; remove it with distillery jobs rm ${plan.id} --queue ${opts.url} to run it again`,
            details: { status: s },
          },
        );
      }
      if (opts.signal?.aborted) throw stoppedFollowing(plan.id);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
    }
  } finally {
    // a finalize in flight ends first; an unreachable Redis does not keep the command from ending
    if (worker) await closeWorker(worker, { graceMs: 10_000 });
    await qc.close();
  }
}
