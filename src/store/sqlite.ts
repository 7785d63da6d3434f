/**
 * Opening the SQLite file and the one retry policy for writers. busy_timeout lets SQLite wait for
 * a lock; BEGIN IMMEDIATE takes the write lock up front so a transaction never has to upgrade (the
 * case SQLite cannot wait out); what still comes back as SQLITE_BUSY is retried with backoff here,
 * so it never reaches the caller unless the file stays locked for over a minute.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DistilleryError } from '../core/errors.ts';

export const BUSY_TIMEOUT_MS = 5000;
/** bytes the WAL file is truncated to after a checkpoint */
export const JOURNAL_SIZE_LIMIT = 32 * 1024 * 1024;
const RETRY_BUDGET_MS = 60_000;

export function openDatabase(path: string, opts: { readonly?: boolean } = {}): Database.Database {
  if (path !== ':memory:' && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path, {
      timeout: BUSY_TIMEOUT_MS,
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
    });
  } catch (cause) {
    throw new DistilleryError('CONFIG_INVALID', `cannot open database ${path}: ${(cause as Error).message}`, {
      hint: 'check the --db path and its permissions',
      cause,
    });
  }
  // Takes effect only on a new, empty file. Rows carry hidden states of kilobytes: with 4 KiB pages
  // two such rows fill a leaf and a fifth of it is wasted; 16 KiB pages hold ten, and bulk inserts
  // write fewer pages (bench/store-throughput.ts: insert +20%).
  if (!opts.readonly) db.pragma('page_size = 16384');
  if (!opts.readonly) withBusyRetry(() => db.pragma('journal_mode = WAL'));
  db.pragma('foreign_keys = ON');
  // WAL + NORMAL: a committed transaction survives a killed process (not a power cut), and commits
  // stay cheap enough for the insert rate the pipeline needs.
  db.pragma('synchronous = NORMAL');
  // hidden states make rows of kilobytes: a larger page cache and fewer, larger checkpoints keep
  // bulk inserts from stalling on index pages and WAL copies
  db.pragma('cache_size = -65536');
  if (!opts.readonly) db.pragma('wal_autocheckpoint = 8192');
  // A checkpoint resets the WAL but never shrinks the file: without a limit it keeps its largest size
  // for good (134 MB after 45k soft-label requests). With one, each reset truncates it to this size.
  if (!opts.readonly) db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  return db;
}

const isBusy = (e: unknown): boolean =>
  e instanceof Error &&
  'code' in e &&
  typeof e.code === 'string' &&
  (e.code === 'SQLITE_BUSY' || e.code.startsWith('SQLITE_BUSY_') || e.code === 'SQLITE_LOCKED');

const pause = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

/** Run `fn` (a whole transaction), retrying on SQLITE_BUSY with jittered backoff. */
export function withBusyRetry<T>(fn: () => T): T {
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() - start > RETRY_BUDGET_MS) {
        throw new DistilleryError('OVERLOADED', 'the database stayed locked by another process for over a minute', {
          hint: 'another distillery process holds a long write; retry later',
          cause: e,
        });
      }
      // jitter from the pid so two processes do not retry in lockstep (no global RNG)
      const jitter = 0.5 + ((process.pid * 7919 + attempt * 104729) % 1000) / 1000;
      sleepSync(Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * jitter);
    }
  }
}
