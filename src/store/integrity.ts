/**
 * A damaged store, said plainly: recognising corruption errors, checking a file (SQLite's quick_check
 * or integrity_check on a read-only connection), and recovering what is readable into a new file.
 *
 * Recovery: SQLite's own `.recover` is a feature of the sqlite3 shell, and the recovery extension and
 * the sqlite_dbpage / sqlite_dbdata tables it builds on are not compiled into better-sqlite3's bundled
 * SQLite. So recovery copies every readable row, table by table in rowid order, into a fresh store
 * made by the same migrations; when a range of rows cannot be read it seeks past it (rowid > last + 1,
 * 2, 4, ...) and counts what it skipped.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import { migrate } from './migrations/index.ts';
import { openDatabase } from './sqlite.ts';

const CORRUPT_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

/** True when `err`, or anything in its cause chain, is SQLite reporting a damaged file. */
export function isCorruption(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CORRUPT_CODES.test(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /database disk image is malformed|file is not a database/.test(message))
      return true;
  }
  return false;
}

/** What to tell someone whose store is damaged. */
export function recoveryHint(db: string): string {
  return `stop distillery, then run \`distillery store check --db ${db}\` and \`distillery store recover --db ${db} --out NEW.db\` (it copies every readable row to NEW.db); point --db at NEW.db once it looks right`;
}

export interface CheckResult {
  ok: boolean;
  /** SQLite's findings, at most `maxProblems` */
  problems: string[];
}

/** quick_check (`quick`: O(pages), no index cross-checks) or the full integrity_check, read-only. */
export function checkStoreFile(path: string, opts: { quick?: boolean; maxProblems?: number } = {}): CheckResult {
  if (!existsSync(path)) throw new DistilleryError('NOT_FOUND', `no store at ${path}`, { hint: 'check --db' });
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma(`${opts.quick ? 'quick_check' : 'integrity_check'}(${opts.maxProblems ?? 20})`) as Record<
      string,
      string
    >[];
    const problems = rows.map((r) => Object.values(r)[0]!).filter((m) => m !== 'ok');
    return { ok: problems.length === 0, problems };
  } catch (err) {
    if (isCorruption(err)) return { ok: false, problems: [(err as Error).message] };
    throw err;
  } finally {
    db?.close();
  }
}

export interface TableRecovery {
  table: string;
  copied: number;
  /** rowid ranges that could not be read */
  unreadableRanges: number;
}

/** Tables in the order rows can be inserted; lock rows are not kept (their holders are gone). */
const TABLES = ['datasets', 'teachers', 'examples', 'teacher_outputs', 'dataset_teachers', 'dataset_op_stats'];
const BATCH = 512;
const MAX_JUMP = 2 ** 52;

export function recoverStoreFile(from: string, to: string): TableRecovery[] {
  if (existsSync(to))
    throw new DistilleryError('INVALID_INPUT', `${to} already exists`, { hint: 'recover into a new file' });
  let src: Database.Database;
  try {
    src = new Database(from, { readonly: true, fileMustExist: true });
    src.pragma('schema_version');
  } catch (err) {
    throw new DistilleryError('INVALID_INPUT', `${from} cannot be opened as SQLite: ${(err as Error).message}`, {
      hint: 'its first page (header and schema) is damaged; nothing can be read row by row. Restore from a backup, or try the sqlite3 shell: sqlite3 OLD.db .recover | sqlite3 NEW.db',
      cause: err,
    });
  }
  const dest = openDatabase(to);
  try {
    migrate(dest);
    dest.pragma('foreign_keys = OFF');
    const present = new Set(
      (src.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const report: TableRecovery[] = [];
    for (const table of TABLES.filter((t) => present.has(t))) report.push(copyTable(src, dest, table));
    return report;
  } finally {
    src.close();
    dest.close();
  }
}

function copyTable(src: Database.Database, dest: Database.Database, table: string): TableRecovery {
  const columns = (dest.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
  const list = columns.map((c) => `"${c}"`).join(', ');
  const read = src.prepare(`SELECT rowid AS __rowid, ${list} FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  const write = dest.prepare(
    `INSERT OR IGNORE INTO "${table}" (rowid, ${list}) VALUES (?, ${columns.map(() => '?').join(', ')})`,
  );
  const insert = dest.transaction((rows: Record<string, unknown>[]) => {
    for (const r of rows) write.run(r.__rowid, ...columns.map((c) => r[c]));
  });
  let after = 0;
  let copied = 0;
  let unreadableRanges = 0;
  for (;;) {
    let rows: Record<string, unknown>[];
    try {
      rows = read.all(after, BATCH) as Record<string, unknown>[];
    } catch (err) {
      if (!isCorruption(err)) throw err;
      // read what comes before the damage one row at a time, then seek past it
      let one: Record<string, unknown>[] = [];
      try {
        one = read.all(after, 1) as Record<string, unknown>[];
      } catch {
        one = [];
      }
      if (one.length > 0) {
        insert(one);
        copied++;
        after = Number(one[0]!.__rowid);
        continue;
      }
      unreadableRanges++;
      const next = seekPast(read, after);
      if (next === undefined) break;
      after = next;
      continue;
    }
    if (rows.length === 0) break;
    insert(rows);
    copied += rows.length;
    after = Number(rows[rows.length - 1]!.__rowid);
  }
  return { table, copied, unreadableRanges };
}

/** The largest rowid bound past `after` from which reading works again (undefined: none found). */
function seekPast(read: Database.Statement, after: number): number | undefined {
  for (let jump = 1; jump <= MAX_JUMP; jump *= 2) {
    try {
      read.all(after + jump, 1);
      return after + jump;
    } catch {
      // still inside the damage
    }
  }
  return undefined;
}
