/**
 * The store's SQLite file: opened, migrated, closed. Repositories take it and prepare their own
 * statements on it; it owns no query of its own beyond the file-wide checks.
 */
import type Database from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import { migrate } from './migrations/index.ts';
import { vacuum } from './output-pruning.ts';
import { openDatabase, withBusyRetry } from './sqlite.ts';

export interface StoreOptions {
  /** clock for `created` timestamps (tests pin it) */
  now?: () => Date;
}

export class StoreDatabase {
  readonly path: string;
  readonly schemaVersion: number;
  readonly sql: Database.Database;
  readonly now: () => Date;
  #closed = false;

  constructor(path: string, opts: StoreOptions = {}) {
    this.path = path;
    this.now = opts.now ?? (() => new Date());
    this.sql = openDatabase(path);
    try {
      this.schemaVersion = withBusyRetry(() => migrate(this.sql));
    } catch (e) {
      this.sql.close();
      throw e;
    }
  }

  /** Throws once the file is closed: every repository call starts here. */
  check(): void {
    if (this.#closed) throw new DistilleryError('INTERNAL', `the store ${this.path} is closed`);
  }

  /** Runs `fn` in one IMMEDIATE write transaction, retried while another writer holds the file. */
  write<T>(fn: () => T): T {
    return withBusyRetry(() => this.sql.transaction(fn).immediate());
  }

  /** Gives the pages freed by deletes back to the file system (rewrites the file; writers wait). */
  vacuum(): { before: number; after: number } {
    this.check();
    return vacuum(this.sql);
  }

  /** 'ok' when PRAGMA integrity_check finds nothing wrong, else its first findings. */
  integrityCheck(): string {
    this.check();
    const rows = this.sql.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the file; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.sql.close();
  }
}
