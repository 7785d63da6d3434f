/**
 * Reads the pages of a labelled iteration on a worker thread (page-reader-thread.mjs) while the
 * calling thread decodes and writes the previous ones: an export spends about half its time in
 * SQLite, and that half now runs beside the other. The caller stays synchronous: it blocks on
 * the next page only when the reader has not produced it yet.
 */
import { DistilleryError } from '../core/errors.ts';
import { PrefetchThread } from '../core/prefetch-thread.ts';

type PackedColumn = unknown[] | { buf: ArrayBuffer; starts: Int32Array; lens: Int32Array };
interface PackedPart {
  rows: number;
  columns: PackedColumn[];
}
type Message = { parts: PackedPart[]; done: boolean } | { error: string };

/** Raw rows per statement, as better-sqlite3's raw mode gives them (blobs are Buffer views). */
export type RawParts = unknown[][][];

function unpack(part: PackedPart): unknown[][] {
  const rows: unknown[][] = Array.from({ length: part.rows }, () => new Array(part.columns.length));
  part.columns.forEach((col, j) => {
    if (Array.isArray(col)) {
      for (let i = 0; i < part.rows; i++) rows[i]![j] = col[i];
      return;
    }
    for (let i = 0; i < part.rows; i++)
      rows[i]![j] = col.lens[i]! < 0 ? null : Buffer.from(col.buf, col.starts[i]!, col.lens[i]!);
  });
  return rows;
}

export class PagePrefetcher {
  readonly #thread: PrefetchThread<Message>;

  /** `params[s]` binds statement s of `sqls` (without `after`); pages start after ordinal `after`. */
  constructor(
    path: string,
    sqls: readonly string[],
    params: readonly Record<string, string | number>[],
    pageRows: number,
    after: number,
  ) {
    this.#thread = new PrefetchThread(new URL('./page-reader-thread.mjs', import.meta.url), {
      path,
      sqls,
      params,
      pageRows,
      after,
    });
  }

  /** The next page's raw rows per statement, or undefined after the last page. */
  next(): RawParts | undefined {
    if (this.#thread.closed) return undefined;
    const msg = this.#thread.receive();
    if (!msg) {
      this.close();
      throw new DistilleryError('INTERNAL', 'the page reader thread stopped before the last page');
    }
    if ('error' in msg) {
      this.close();
      throw new DistilleryError('INTERNAL', `reading the store failed: ${msg.error}`, {
        hint: 'check that the database file is readable; nothing was changed',
      });
    }
    if (msg.done) this.close();
    return msg.parts.map(unpack);
  }

  /** Stops the reader (safe to call twice). */
  close(): void {
    this.#thread.close();
  }
}
