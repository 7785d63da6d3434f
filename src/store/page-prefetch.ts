/**
 * Reads the pages of a labelled iteration on a worker thread (page-reader-thread.mjs) while the
 * calling thread decodes and writes the previous ones: an export spends about half its time in
 * SQLite, and that half now runs beside the other. The caller stays synchronous: it blocks on
 * the next page only when the reader has not produced it yet.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { DistilleryError } from '../core/errors.ts';

const POSTED = 0;
const CONSUMED = 1;
const STOP = 2;

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
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #ctl = new Int32Array(new SharedArrayBuffer(12));
  #consumed = 0;
  #finished = false;

  /** `params[s]` binds statement s of `sqls` (without `after`); pages start after ordinal `after`. */
  constructor(
    path: string,
    sqls: readonly string[],
    params: readonly Record<string, string | number>[],
    pageRows: number,
    after: number,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(new URL('./page-reader-thread.mjs', import.meta.url), {
      workerData: { path, sqls, params, pageRows, after, control: this.#ctl.buffer, port: port2 },
      transferList: [port2],
      // plain JavaScript: skip the loaders (tsx) the parent may run under, they cost a start of ~100 ms
      execArgv: [],
    });
    // an abandoned iteration must not keep the process alive
    this.#worker.unref();
  }

  /** The next page's raw rows per statement, or undefined after the last page. */
  next(): RawParts | undefined {
    if (this.#finished) return undefined;
    let msg: Message | undefined;
    for (;;) {
      const posted = Atomics.load(this.#ctl, POSTED);
      msg = receiveMessageOnPort(this.#port)?.message as Message | undefined;
      if (msg) break;
      Atomics.wait(this.#ctl, POSTED, posted, 1000);
    }
    this.#consumed++;
    Atomics.store(this.#ctl, CONSUMED, this.#consumed);
    Atomics.notify(this.#ctl, CONSUMED);
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
    if (this.#finished) return;
    this.#finished = true;
    Atomics.store(this.#ctl, STOP, 1);
    Atomics.notify(this.#ctl, CONSUMED);
    this.#port.close();
    void this.#worker.terminate();
  }
}
