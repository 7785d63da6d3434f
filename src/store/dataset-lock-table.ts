/**
 * The dataset_locks table (migration 0004): claim, heartbeat, release. The policy (when a held lock is
 * stale) is the caller's, passed in as a predicate that runs inside the claiming transaction, so two
 * processes can never both take the same lock.
 */
import type Database from 'better-sqlite3';
import { withBusyRetry } from './sqlite.ts';

export interface DatasetLockRow {
  dataset: string;
  owner: string;
  pid: number;
  host: string;
  command: string;
  /** ISO 8601 */
  acquired: string;
  /** unix ms */
  heartbeat: number;
}

export type ClaimResult =
  { acquired: true; tookOver: DatasetLockRow | undefined } | { acquired: false; holder: DatasetLockRow };

interface Row {
  dataset_id: string;
  owner: string;
  pid: number;
  host: string;
  command: string;
  acquired: string;
  heartbeat: number;
}

const toLock = (r: Row): DatasetLockRow => ({
  dataset: r.dataset_id,
  owner: r.owner,
  pid: r.pid,
  host: r.host,
  command: r.command,
  acquired: r.acquired,
  heartbeat: r.heartbeat,
});

export class DatasetLockTable {
  readonly #db: Database.Database;
  readonly #ensureOpen: () => void;
  readonly #s;

  constructor(db: Database.Database, ensureOpen: () => void) {
    this.#db = db;
    this.#ensureOpen = ensureOpen;
    this.#s = {
      get: db.prepare<[string], Row>(
        'SELECT dataset_id, owner, pid, host, command, acquired, heartbeat FROM dataset_locks WHERE dataset_id = ?',
      ),
      put: db.prepare(
        `INSERT INTO dataset_locks (dataset_id, owner, pid, host, command, acquired, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dataset_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
           command = excluded.command, acquired = excluded.acquired, heartbeat = excluded.heartbeat`,
      ),
      beat: db.prepare('UPDATE dataset_locks SET heartbeat = ? WHERE dataset_id = ? AND owner = ?'),
      release: db.prepare('DELETE FROM dataset_locks WHERE dataset_id = ? AND owner = ?'),
    };
  }

  get(dataset: string): DatasetLockRow | undefined {
    this.#ensureOpen();
    const r = this.#s.get.get(dataset);
    return r && toLock(r);
  }

  /** Takes the lock unless another owner holds it and `isStale(holder)` says it is still alive. */
  claim(lock: DatasetLockRow, isStale: (holder: DatasetLockRow) => boolean): ClaimResult {
    this.#ensureOpen();
    return withBusyRetry(() =>
      this.#db
        .transaction((): ClaimResult => {
          const r = this.#s.get.get(lock.dataset);
          const held = r && toLock(r);
          if (held && held.owner !== lock.owner && !isStale(held)) return { acquired: false, holder: held };
          this.#s.put.run(lock.dataset, lock.owner, lock.pid, lock.host, lock.command, lock.acquired, lock.heartbeat);
          return { acquired: true, tookOver: held && held.owner !== lock.owner ? held : undefined };
        })
        .immediate(),
    );
  }

  /** Records that the holder is alive; false when `owner` no longer holds the lock (it was taken over). */
  heartbeat(dataset: string, owner: string, nowMs: number): boolean {
    this.#ensureOpen();
    return withBusyRetry(() => this.#s.beat.run(nowMs, dataset, owner).changes > 0);
  }

  release(dataset: string, owner: string): void {
    this.#ensureOpen();
    withBusyRetry(() => this.#s.release.run(dataset, owner));
  }
}
