/**
 * Append-only migrations: NNNN-name.sql files applied in order, each in the same transaction as
 * the `user_version` bump that records it. Two processes opening a fresh file at once are safe:
 * the version is re-read inside an IMMEDIATE transaction.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { DistilleryError } from '../../core/errors.ts';

const DIR = dirname(fileURLToPath(import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}-[a-z0-9-]+\.sql$/.test(f))
    .sort();
  return files.map((name, i) => {
    const version = Number(name.slice(0, 4));
    if (version !== i + 1)
      throw new DistilleryError(
        'INTERNAL',
        `migration ${name} is out of sequence (expected ${String(i + 1).padStart(4, '0')})`,
      );
    return { version, name, sql: readFileSync(join(dir, name), 'utf8') };
  });
}

/** Apply pending migrations; returns the schema version afterwards. */
export function migrate(db: Database.Database, migrations = loadMigrations()): number {
  const latest = migrations.length;
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new DistilleryError(
        'CONFIG_INVALID',
        `database schema version ${current} is newer than this distillery (${latest})`,
        {
          hint: 'upgrade distillery, or point --db at another file',
        },
      );
    }
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    return Math.max(current, latest);
  });
  return apply.immediate();
}
