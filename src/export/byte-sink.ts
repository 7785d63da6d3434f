/**
 * Where export writers put bytes: appends that remember the offset and hash the file.
 *
 * The exporter thread is busy reading SQLite and encoding pages, so once a file passes one chunk
 * the disk writes and the sha256 move to a worker thread (file-writer-thread.mjs): `write` copies
 * into a chunk and hands full chunks over, and blocks only when the thread lags more than
 * IN_FLIGHT_LIMIT behind, which keeps memory flat. Small files never start a thread.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { DistilleryError } from '../core/errors.ts';

const CHUNK = 4 << 20;
const IN_FLIGHT_LIMIT = 32 << 20;
/** control words shared with the thread */
const PENDING = 0;
const STATE = 1;
const RUNNING = 0;
const FAILED = 2;

interface WriterThread {
  worker: Worker;
  ctl: Int32Array;
  replies: MessagePort;
}

export class FileSink {
  readonly path: string;
  offset = 0;
  readonly #fd: number;
  #chunk = Buffer.allocUnsafeSlow(CHUNK);
  #used = 0;
  #thread: WriterThread | undefined;
  #result: { sha256: string; bytes: number } | undefined;
  #released = false;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    if (this.#released) throw new DistilleryError('INTERNAL', `${this.path} is already closed`);
    this.offset += bytes.length;
    for (let from = 0; from < bytes.length;) {
      const n = Math.min(CHUNK - this.#used, bytes.length - from);
      this.#chunk.set(bytes.subarray(from, from + n), this.#used);
      this.#used += n;
      from += n;
      if (this.#used === CHUNK) this.#handOver();
    }
  }

  /**
   * Appends `bytes` taking ownership of the memory behind them (the caller must not touch it
   * again): a large page goes to the writer thread without being copied into a chunk.
   */
  writeOwned(bytes: Uint8Array): void {
    const whole = bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer;
    if (bytes.length < CHUNK / 2 || !whole) {
      this.write(bytes);
      return;
    }
    if (this.#released) throw new DistilleryError('INTERNAL', `${this.path} is already closed`);
    this.offset += bytes.length;
    if (this.#used > 0) this.#handOver();
    this.#post(bytes.buffer as ArrayBuffer, bytes.length);
  }

  /** Flushes, closes the file; returns its sha256 (hex) and size. Safe to call twice. */
  close(): { sha256: string; bytes: number } {
    if (this.#result) return this.#result;
    if (this.#released) throw new DistilleryError('INTERNAL', `${this.path} was discarded`);
    try {
      let sha256: string;
      if (!this.#thread) {
        const tail = this.#chunk.subarray(0, this.#used);
        try {
          for (let done = 0; done < tail.length;) done += writeSync(this.#fd, tail, done, tail.length - done);
        } catch (e) {
          throw this.#writeError((e as Error).message);
        }
        sha256 = createHash('sha256').update(tail).digest('hex');
      } else {
        if (this.#used > 0) this.#handOver();
        const t = this.#thread;
        t.worker.postMessage({ close: true });
        while (Atomics.load(t.ctl, STATE) === RUNNING) Atomics.wait(t.ctl, STATE, RUNNING, 1000);
        this.#checkThread();
        sha256 = (receiveMessageOnPort(t.replies)?.message as { sha256: string }).sha256;
      }
      this.#result = { sha256, bytes: this.offset };
      return this.#result;
    } finally {
      this.#release();
    }
  }

  /** Gives up on the file (an export that failed half way): stops the thread, closes the descriptor. */
  discard(): void {
    this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#thread) {
      void this.#thread.worker.terminate();
      this.#thread.replies.close();
      this.#thread = undefined;
    }
    closeSync(this.#fd);
  }

  #handOver(): void {
    // the whole chunk's memory moves to the thread (no copy); a fresh one takes its place
    this.#post(this.#chunk.buffer as ArrayBuffer, this.#used);
    this.#chunk = Buffer.allocUnsafeSlow(CHUNK);
    this.#used = 0;
  }

  /** Transfers the first `length` bytes of `buffer` to the writer thread, once it lags less than IN_FLIGHT_LIMIT. */
  #post(buffer: ArrayBuffer, length: number): void {
    const t = (this.#thread ??= this.#startThread());
    this.#checkThread();
    for (let lag = Atomics.load(t.ctl, PENDING); lag > IN_FLIGHT_LIMIT; lag = Atomics.load(t.ctl, PENDING)) {
      Atomics.wait(t.ctl, PENDING, lag, 1000);
      this.#checkThread();
    }
    Atomics.add(t.ctl, PENDING, length);
    t.worker.postMessage({ chunk: buffer, length }, [buffer]);
  }

  #checkThread(): void {
    const t = this.#thread;
    if (!t || Atomics.load(t.ctl, STATE) !== FAILED) return;
    const reply = receiveMessageOnPort(t.replies)?.message as { error?: string } | undefined;
    throw this.#writeError(reply?.error ?? 'the writer thread stopped');
  }

  #writeError(reason: string): DistilleryError {
    return new DistilleryError('INTERNAL', `cannot write ${this.path}: ${reason}`, {
      hint: 'check free disk space and permissions of the output folder; the store is unchanged',
    });
  }

  #startThread(): WriterThread {
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./file-writer-thread.mjs', import.meta.url), {
      workerData: { fd: this.#fd, control: ctl.buffer, replies: port2 },
      transferList: [port2],
      // plain JavaScript: skip the loaders (tsx) the parent may run under, they cost a start of ~100 ms
      execArgv: [],
    });
    // a finished export must not wait for the thread to be collected
    worker.unref();
    return { worker, ctl, replies: port1 };
  }
}
