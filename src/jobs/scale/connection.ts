/**
 * Where the queue lives: a redis:// URL turned into BullMQ connection options, and the names every
 * process agrees on. Workers and the coordinator reconnect on their own (ioredis retries forever, at
 * most `RECONNECT_MAX_MS` apart), so a Redis restart only pauses them.
 */
import { DistilleryError } from '../../core/errors.ts';

/** Redis key prefix of every distillery queue, so they never mix with another application's. */
export const PREFIX = 'distillery';
/** The one queue of label-chunk jobs; every worker listens here. */
export const CHUNK_QUEUE = 'chunks';
/** Each distributed job's finalize parent has a queue of its own, which only its coordinator serves. */
export const finalizeQueue = (jobId: string): string => `finalize.${jobId}`;
/** A chunk's BullMQ id: deterministic, so a rerun names the same jobs. */
export const chunkJobId = (jobId: string, index: number): string => `${jobId}.chunk-${String(index).padStart(6, '0')}`;
/** Set by `distillery jobs cancel`; workers and the coordinator check it. */
export const cancelKey = (jobId: string): string => `${PREFIX}:cancelled:${jobId}`;

/**
 * Longest wait between two reconnect attempts. BullMQ's own default backs off to 20 s, so after a restart
 * of a few seconds a connection could stay down for 20 s more with Redis already back (and a worker told
 * to stop in that window has to wait it out, see close-worker.ts). Attempts on a LAN are cheap.
 */
export const RECONNECT_MAX_MS = 2000;
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, RECONNECT_MAX_MS);

/** Plain options that both BullMQ and ioredis take. */
export interface QueueConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  maxRetriesPerRequest: null;
  retryStrategy: (attempt: number) => number;
}

export function redisConnection(url: string): QueueConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DistilleryError('INVALID_INPUT', `--queue ${url}: not a URL`, { hint: 'e.g. redis://127.0.0.1:6379' });
  }
  if (u.protocol !== 'redis:')
    throw new DistilleryError('INVALID_INPUT', `--queue ${url}: expected a redis:// URL`, {
      hint: 'e.g. redis://127.0.0.1:6379',
    });
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new DistilleryError('INVALID_INPUT', `--queue ${url}: "${u.pathname.slice(1)}" is not a database number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // BullMQ workers block on Redis: a command must wait for a reconnect rather than fail after N retries
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
  };
}
