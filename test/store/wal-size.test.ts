/**
 * The WAL file does not keep its largest size for good: after enough writes to trigger automatic
 * checkpoints, it is truncated back to the journal size limit (a real SQLite file, opened the way the
 * store opens it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { JOURNAL_SIZE_LIMIT, openDatabase } from '../../src/store/sqlite.ts';

test('the WAL is truncated to the journal size limit after checkpoints', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-wal-'));
  const file = path.join(dir, 'wal.db');
  const db = openDatabase(file);
  try {
    db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)');
    const chunk = Buffer.alloc(256 * 1024, 7);
    const write = db.transaction(() => {
      for (let i = 0; i < 8; i++) insert.run(chunk);
    });
    // 160 MB through the WAL: more than the automatic checkpoint threshold (8,192 pages of 16 KiB)
    const sizes: number[] = [];
    for (let t = 0; t < 80; t++) {
      write();
      sizes.push(statSync(`${file}-wal`).size);
    }
    const largest = Math.max(...sizes);
    const afterPeak = sizes.slice(sizes.indexOf(largest) + 1);
    assert.ok(largest > JOURNAL_SIZE_LIMIT, `the WAL grew to ${largest} bytes`);
    // once checkpointed, the next transaction starts the WAL over from a file cut back to the limit
    const transaction = 8 * chunk.length + 64 * 1024;
    assert.ok(
      afterPeak.length > 0 && Math.min(...afterPeak) <= JOURNAL_SIZE_LIMIT + transaction,
      `after the checkpoint the WAL stayed at ${Math.min(...afterPeak)} bytes`,
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
