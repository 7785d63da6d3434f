/**
 * `distillery worker`: takes label-chunk jobs from Redis, one at a time per worker (run one per GPU or
 * per CPU socket), and answers each with the name and sha256 of the part it wrote: a classifier part, or
 * for a chunk whose data names a causal-LM teacher a `.seqpart` (sequence-chunk-job.ts). The teacher runs in
 * its own worker thread (src/teacher/worker-session.ts), so this event loop stays free to renew BullMQ's
 * lock during a long batch; a worker that dies (kill -9) stops renewing it, and after the lock expires
 * the chunk goes back to the queue for another worker.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobSpec } from '../job-schema.ts';
import { sharedWordNet } from '../../augment/index.ts';
import { loadChunkContext, type ChunkDeps } from './chunk-context.ts';
import { processChunk, type ChunkContext } from './chunk-work.ts';
import { closeWorker } from './close-worker.ts';
import { CHUNK_QUEUE, PREFIX, cancelKey, redisConnection } from './connection.ts';
import type { ChunkResult } from './finalize.ts';
import { partsLocation, storePart } from './parts-location.ts';
import type { ChunkPlan } from './plan.ts';
import { sequenceChunkRunner, type CausalTeachers } from './sequence-chunk-job.ts';

/** A label-chunk job's data, as the coordinator queued it. */
export interface ChunkJobData {
  jobId: string;
  specHash: string;
  job: JobSpec;
  corpusRecords: number;
  partsDir: string;
  chunk: ChunkPlan;
  /** set for a causal-LM job: its teacher, loaded through the registry's getCausal */
  causal?: { teacher: string };
}

export interface ChunkWorkerOptions extends ChunkDeps {
  teachers: ChunkDeps['teachers'] & CausalTeachers;
  url: string;
  log: Logger;
  /** ms a chunk's lock lasts without renewal (BullMQ default 30 s); short in the fault tests */
  lockDuration?: number;
  /** ms between checks for chunks whose worker stopped renewing its lock */
  stalledInterval?: number;
  /** ms `close()` waits for an unreachable Redis before it stops without it (default 10 s) */
  closeGraceMs?: number;
}

export const workerId = (): string => `${hostname()}:${process.pid}`;

export interface ChunkWorker {
  worker: Worker<ChunkJobData, ChunkResult>;
  /**
   * Finishes the chunk in flight, then disconnects; safe to call twice. If Redis does not answer within
   * `closeGraceMs`, stops without it: the chunk in flight still ends first (it uses the store), but its
   * result is not recorded and the chunk goes back to the queue when its lock expires.
   */
  close(): Promise<void>;
}

export function startChunkWorker(opts: ChunkWorkerOptions): ChunkWorker {
  const me = workerId();
  // Building the WordNet index blocks the event loop for seconds; inside a chunk that would stop the lock
  // renewal and let the chunk be taken as stalled, so it is built before the worker takes any chunk.
  sharedWordNet();
  const connection = redisConnection(opts.url);
  const redis = new Redis(connection);
  redis.on('error', () => undefined); // reconnects on its own; the worker's 'error' event reports it
  // a job's teachers and augmenter are loaded once per job spec, not per chunk
  const contexts = new Map<string, Promise<ChunkContext>>();
  const contextFor = (d: ChunkJobData): Promise<ChunkContext> => {
    let c = contexts.get(d.specHash);
    if (!c) {
      c = loadChunkContext(opts, d.jobId, d.job, d.corpusRecords);
      contexts.set(d.specHash, c);
      c.catch(() => contexts.delete(d.specHash));
    }
    return c;
  };
  const labelSequenceChunk = sequenceChunkRunner(opts);

  let inFlight: Promise<unknown> = Promise.resolve();
  const worker = new Worker<ChunkJobData, ChunkResult>(
    CHUNK_QUEUE,
    (job: Job<ChunkJobData, ChunkResult>, _token, signal) => {
      const run = label(job, signal);
      inFlight = run.catch(() => undefined);
      return run;
    },
    {
      connection,
      prefix: PREFIX,
      concurrency: 1,
      // named so `readQueueOverview` (the dashboard, /metrics) can list the workers connected now
      name: me,
      ...(opts.lockDuration ? { lockDuration: opts.lockDuration } : {}),
      ...(opts.stalledInterval ? { stalledInterval: opts.stalledInterval } : {}),
    },
  );
  async function label(job: Job<ChunkJobData, ChunkResult>, signal?: AbortSignal): Promise<ChunkResult> {
    const d = job.data;
    const log = opts.log.child({ job: d.jobId, chunk: d.chunk.index, attempt: job.attemptsMade + 1 });
    if ((await redis.exists(cancelKey(d.jobId))) === 1) {
      log.info({ event: 'chunk-cancelled' }, 'job cancelled; chunk skipped');
      throw new UnrecoverableError('cancelled');
    }
    const started = performance.now();
    log.info({ event: 'chunk-start', records: d.chunk.records }, 'chunk started');
    try {
      const result: ChunkResult = {
        chunk: d.chunk.index,
        ...(d.causal ? await causalChunk(d) : await classifierChunk(d, signal)),
        worker: me,
        seconds: (performance.now() - started) / 1000,
      };
      const { seconds } = result;
      log.info(
        { event: 'chunk-done', examples: result.examples, computed: result.computed, seconds, part: result.part },
        'chunk done',
      );
      return result;
    } catch (e) {
      log.warn({ event: 'chunk-failed', err: (e as Error).message }, 'chunk failed');
      throw e;
    }
  }
  type Labelled = Omit<ChunkResult, 'chunk' | 'worker' | 'seconds'>;
  async function classifierChunk(d: ChunkJobData, signal?: AbortSignal): Promise<Labelled> {
    const ctx = await contextFor(d);
    const outcome = await processChunk(ctx, d.chunk, signal);
    const written = await storePart(partsLocation(d.partsDir), outcome.part);
    return {
      part: written.name,
      sha256: written.sha256,
      bytes: written.bytes,
      examples: outcome.part.header.examples.length,
      computed: outcome.computed,
      cached: outcome.cached,
      teachers: ctx.teachers.map((t) => t.runner.info),
    };
  }
  /** a causal-LM chunk's rows count as its examples in the workers' rates (`jobs status`, the dashboard) */
  async function causalChunk(d: ChunkJobData): Promise<Labelled> {
    const done = await labelSequenceChunk({ ...d, teacher: d.causal!.teacher });
    const { sha256, bytes, computed, cached } = done;
    return {
      part: done.name,
      sha256,
      bytes,
      examples: done.rows,
      computed,
      cached,
      teachers: [],
    };
  }
  worker.on('error', (e) => opts.log.warn({ event: 'queue-error', err: e.message }, 'queue connection problem'));
  let closing: Promise<void> | undefined;
  return {
    worker,
    close: () =>
      (closing ??= (async () => {
        await closeWorker(worker, {
          graceMs: opts.closeGraceMs ?? 10_000,
          onUnreachable: () =>
            opts.log.warn(
              { event: 'queue-unreachable' },
              `Redis at ${opts.url} did not answer; stopping without it (a chunk in flight goes back to the queue when its lock expires)`,
            ),
        });
        await inFlight;
        redis.disconnect();
      })()),
  };
}
