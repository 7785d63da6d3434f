/**
 * A distributed job as Redis knows it: the finalize parent's state and its chunk children, counted by
 * BullMQ (processed / ignored failures / unprocessed), the chunks workers hold now, and per-worker
 * throughput from the finished chunks' results. `distillery jobs status` and the coordinator print it.
 */
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { CHUNK_QUEUE, PREFIX, cancelKey, chunkJobId, finalizeQueue, redisConnection } from './connection.ts';
import type { ChunkResult, FinalizeResult } from './finalize.ts';

export type DistributedState = 'running' | 'finalizing' | 'done' | 'failed' | 'cancelled';

export interface WorkerRate {
  worker: string;
  chunks: number;
  examples: number;
  seconds: number;
  examplesPerSecond: number;
}

export interface DistributedStatus {
  id: string;
  dataset: string;
  state: DistributedState;
  chunks: { total: number; done: number; running: number; waiting: number; failed: number };
  failures: { chunk: number; reason: string }[];
  workers: WorkerRate[];
  etaSeconds: number | null;
  error?: string;
  result?: FinalizeResult;
}

/** Queues of one Redis, opened on demand and closed together. */
export class QueueClient {
  readonly url: string;
  readonly chunks: Queue;
  readonly redis: Redis;
  readonly #finalize = new Map<string, Queue>();

  constructor(url: string) {
    this.url = url;
    const connection = redisConnection(url);
    this.chunks = new Queue(CHUNK_QUEUE, { connection, prefix: PREFIX });
    this.redis = new Redis(connection);
    this.redis.on('error', () => undefined);
    this.chunks.on('error', () => undefined);
  }

  finalize(id: string): Queue {
    let q = this.#finalize.get(id);
    if (!q) {
      q = new Queue(finalizeQueue(id), { connection: redisConnection(this.url), prefix: PREFIX });
      q.on('error', () => undefined);
      this.#finalize.set(id, q);
    }
    return q;
  }

  parent(id: string): Promise<Job | undefined> {
    return this.finalize(id).getJob(id);
  }

  /** Ids of the distributed jobs this Redis holds. */
  async jobIds(): Promise<string[]> {
    const ids = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${PREFIX}:finalize.*:meta`, 'COUNT', 200);
      cursor = next;
      for (const k of keys) ids.add(k.slice(`${PREFIX}:finalize.`.length, -':meta'.length));
    } while (cursor !== '0');
    return [...ids].sort();
  }

  /**
   * Forget a job: its chunks one by one (failed ones are no longer the parent's dependencies, and a
   * chunk id left behind would be taken as already queued by the next flow), then the parent.
   */
  async remove(id: string): Promise<void> {
    const parent = await this.parent(id);
    const chunks = (parent?.data as { chunks?: unknown[] } | undefined)?.chunks?.length ?? 0;
    for (let i = 0; i < chunks; i++) await this.chunks.remove(chunkJobId(id, i));
    await parent?.remove({ removeChildren: true });
    await this.redis.del(cancelKey(id));
  }

  /**
   * Closes the queues; while Redis is down a queue's close waits for a reconnect that may never come, so
   * after `graceMs` the connections are dropped instead (nothing is lost: a client only reads here).
   */
  async close(graceMs = 1000): Promise<void> {
    const queues = [this.chunks, ...this.#finalize.values()];
    let timer: NodeJS.Timeout | undefined;
    const closing = Promise.all(queues.map((q) => q.close())).then(
      () => true,
      () => true,
    );
    const closed = await Promise.race([
      closing,
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    // BullMQ's own disconnect waits for the connection's end too; ioredis' does not
    if (!closed) await Promise.all(queues.map((q) => q.backend.connection.disconnect(false)));
    this.redis.disconnect();
  }
}

const chunkOf = (key: string): number => Number(/chunk-(\d+)$/.exec(key)?.[1] ?? -1);

export async function readStatus(qc: QueueClient, id: string): Promise<DistributedStatus | undefined> {
  // the state first: a job read before it completes has no return value yet
  const state = await qc.finalize(id).getJobState(id);
  const parent = await qc.parent(id);
  if (!parent || state === 'unknown') return undefined;
  const [deps, failuresByKey, values, active, cancelled] = await Promise.all([
    parent.getDependenciesCount(),
    parent.getIgnoredChildrenFailures(),
    parent.getChildrenValues<ChunkResult>(),
    qc.chunks.getActive(),
    qc.redis.exists(cancelKey(id)),
  ]);
  const done = deps.processed ?? 0;
  const failed = (deps.ignored ?? 0) + (deps.failed ?? 0);
  const unprocessed = deps.unprocessed ?? 0;
  const running = Math.min(unprocessed, active.filter((j) => j.id?.startsWith(`${id}.chunk-`)).length);
  const failures = Object.entries(failuresByKey)
    .map(([k, reason]) => ({ chunk: chunkOf(k), reason }))
    .sort((a, b) => a.chunk - b.chunk);
  const byWorker = new Map<string, WorkerRate>();
  for (const r of Object.values(values)) {
    const w = byWorker.get(r.worker) ?? { worker: r.worker, chunks: 0, examples: 0, seconds: 0, examplesPerSecond: 0 };
    w.chunks++;
    w.examples += r.examples;
    w.seconds += r.seconds;
    w.examplesPerSecond = w.seconds > 0 ? w.examples / w.seconds : 0;
    byWorker.set(r.worker, w);
  }
  const workers = [...byWorker.values()].sort((a, b) => (a.worker < b.worker ? -1 : 1));
  const perChunk = workers.reduce((s, w) => s + w.seconds, 0) / Math.max(1, done);
  const left = unprocessed;
  const etaSeconds = done === 0 ? null : (left * perChunk) / Math.max(1, running);
  const data = parent.data as { job?: { dataset?: string } };
  const s: DistributedStatus = {
    id,
    dataset: data.job?.dataset ?? '?',
    state:
      state === 'completed'
        ? 'done'
        : state === 'failed'
          ? cancelled === 1 || parent.failedReason === 'cancelled'
            ? 'cancelled'
            : 'failed'
          : state === 'waiting-children'
            ? 'running'
            : 'finalizing',
    chunks: { total: done + failed + unprocessed, done, running, waiting: Math.max(0, unprocessed - running), failed },
    failures,
    workers,
    etaSeconds: state === 'completed' ? 0 : etaSeconds,
  };
  if (state === 'failed') s.error = parent.failedReason;
  if (state === 'completed') s.result = parent.returnvalue as FinalizeResult;
  return s;
}
