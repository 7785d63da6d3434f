// The SQLite half of a prefetched labelled iteration (page-prefetch.ts): runs the page statements
// that labelled-pages.ts built on its own read-only connection, one page after another, and
// hands each page over packed (blobs of a column concatenated into one transferred buffer), so
// the exporting thread decodes and encodes while this one reads. Plain JavaScript on purpose:
// a worker does not inherit a loader registered at run time (bin/distillery.js registers tsx so).
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';

const { path, sqls, params, pageRows, after: start, control, port } = workerData;
const ctl = new Int32Array(control);
const POSTED = 0;
const CONSUMED = 1;
const STOP = 2;
const ENDED = 3;
const AHEAD = 16;

/** One statement's rows as columns: plain arrays, or for blob columns one buffer + offsets. */
function pack(rows, transfer) {
  const width = rows[0]?.length ?? 0;
  const columns = [];
  for (let j = 0; j < width; j++) {
    let blobs = false;
    for (const r of rows) if (r[j] instanceof Uint8Array) blobs = true;
    if (!blobs) {
      columns.push(rows.map((r) => r[j]));
      continue;
    }
    const starts = new Int32Array(rows.length);
    const lens = new Int32Array(rows.length);
    let size = 0;
    rows.forEach((r, i) => {
      const b = r[j];
      // 8-byte aligned starts keep typed-array views of the payloads possible
      starts[i] = size;
      lens[i] = b === null ? -1 : b.length;
      if (b !== null) size += (b.length + 7) & ~7;
    });
    const buf = new Uint8Array(size);
    rows.forEach((r, i) => {
      if (r[j] !== null) buf.set(r[j], starts[i]);
    });
    transfer.push(buf.buffer);
    columns.push({ buf: buf.buffer, starts, lens });
  }
  return { rows: rows.length, columns };
}

let db;
try {
  db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  // pages are read once, in order: a small cache holds the index interior pages that matter
  db.pragma('cache_size = -8192');
  const statements = sqls.map((sql) => db.prepare(sql).raw(true));
  const readPage = db.transaction((after) => statements.map((st, s) => st.all({ ...params[s], after })));
  let after = start;
  let posted = 0;
  for (;;) {
    // stay at most AHEAD pages in front of the consumer, and stop when it is gone
    while (posted - Atomics.load(ctl, CONSUMED) >= AHEAD && Atomics.load(ctl, STOP) === 0)
      Atomics.wait(ctl, CONSUMED, Atomics.load(ctl, CONSUMED), 1000);
    if (Atomics.load(ctl, STOP) !== 0) break;
    const parts = readPage(after);
    const head = parts[0];
    const transfer = [];
    const done = head.length < pageRows;
    port.postMessage({ parts: parts.map((p) => pack(p, transfer)), done }, transfer);
    posted++;
    Atomics.store(ctl, POSTED, posted);
    Atomics.notify(ctl, POSTED);
    if (done) break;
    after = head[head.length - 1][0];
  }
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  Atomics.add(ctl, POSTED, 1);
  Atomics.notify(ctl, POSTED);
} finally {
  db?.close();
  port.close();
  Atomics.store(ctl, ENDED, 1);
  Atomics.notify(ctl, POSTED);
}
