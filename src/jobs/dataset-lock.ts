/**
 * One writer per dataset across processes: a job (`distillery run`, an HTTP job) holds its dataset's lock
 * row in the store while it writes, refreshing a heartbeat. A second writer fails fast with a message
 * naming the holder. A holder that died without releasing (kill -9, a crash, a power cut) does not block
 * forever: its lock is taken over at once when its pid is gone from this host, or once its heartbeat is
 * older than `staleMs` (a holder on another host, or a reused pid).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DistilleryError } from '../core/errors.ts';
import type { DatasetLockRow, Store } from '../store/index.ts';

export interface DatasetLockOptions {
  /** what holds the lock, shown to a second writer (e.g. "distillery run job.yaml") */
  command: string;
  /** heartbeat period; @default 5000 */
  heartbeatMs?: number;
  /** a heartbeat older than this marks the holder dead; @default 60000 */
  staleMs?: number;
  /** called once if another process took the lock over (this one looked dead): stop writing */
  onLost?: () => void;
}

/** The dataset is being written by another live job. */
export class DatasetLockedError extends DistilleryError {
  readonly holder: DatasetLockRow;
  constructor(holder: DatasetLockRow, staleMs: number) {
    const since = Math.max(0, Math.round((Date.now() - holder.heartbeat) / 1000));
    super(
      'INVALID_INPUT',
      `dataset ${holder.dataset} is being written by another process: pid ${holder.pid} on ${holder.host} (${holder.command}), since ${holder.acquired}, last heartbeat ${since} s ago`,
      {
        hint: `wait for it to finish or stop it (kill ${holder.pid}), or write another dataset id; a lock left by a process that died is taken over automatically (at once on this host, after ${Math.round(staleMs / 1000)} s without a heartbeat elsewhere)`,
        details: { holder },
      },
    );
    this.name = 'DatasetLockedError';
    this.holder = holder;
  }
}

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStaleLock(holder: DatasetLockRow, staleMs: number, nowMs = Date.now()): boolean {
  if (holder.host === hostname() && holder.pid !== process.pid && !pidAlive(holder.pid)) return true;
  return nowMs - holder.heartbeat > staleMs;
}

/** Runs `fn` holding the dataset's lock (a one-off write: remove, merge), released however it ends. */
export async function withDatasetLock<T>(
  store: Store,
  dataset: string,
  command: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  const lock = DatasetLock.acquire(store, dataset, { command });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export class DatasetLock {
  readonly dataset: string;
  /** the dead holder whose lock this one took over, if any */
  readonly tookOver: DatasetLockRow | undefined;
  readonly #store: Store;
  readonly #owner: string;
  readonly #timer: NodeJS.Timeout;
  #released = false;

  private constructor(
    store: Store,
    dataset: string,
    owner: string,
    tookOver: DatasetLockRow | undefined,
    opts: DatasetLockOptions,
  ) {
    this.#store = store;
    this.dataset = dataset;
    this.#owner = owner;
    this.tookOver = tookOver;
    this.#timer = setInterval(() => {
      if (this.#released || this.#store.closed) return;
      if (!this.#store.locks.heartbeat(dataset, owner, Date.now())) {
        this.release();
        opts.onLost?.();
      }
    }, opts.heartbeatMs ?? 5000);
    // the heartbeat alone must not keep a finished process alive
    this.#timer.unref();
  }

  /** Takes the dataset's lock or throws DatasetLockedError naming the live holder. */
  static acquire(store: Store, dataset: string, opts: DatasetLockOptions): DatasetLock {
    const staleMs = opts.staleMs ?? 60_000;
    const now = Date.now();
    const owner = randomUUID();
    const mine: DatasetLockRow = {
      dataset,
      owner,
      pid: process.pid,
      host: hostname(),
      command: opts.command,
      acquired: new Date(now).toISOString(),
      heartbeat: now,
    };
    const r = store.locks.claim(mine, (held) => isStaleLock(held, staleMs, now));
    if (!r.acquired) throw new DatasetLockedError(r.holder, staleMs);
    return new DatasetLock(store, dataset, owner, r.tookOver, opts);
  }

  /** Gives the lock up; safe to call twice, and after the store closed. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    if (!this.#store.closed) this.#store.locks.release(this.dataset, this.#owner);
  }
}
