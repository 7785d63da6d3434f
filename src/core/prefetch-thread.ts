/**
 * The calling side of a reader on a worker thread that works ahead of a synchronous consumer
 * (page-prefetch.ts, part-prefetch.ts): the thread posts messages on a port, the caller blocks for
 * the next one only when it is not there yet. What the messages hold is each reader's own.
 *
 * The thread gets `control` (an Int32Array's buffer) and `port` in its workerData, and keeps the
 * counters in `control`: it bumps POSTED and notifies after each message, reads CONSUMED to stay only
 * so far ahead, stops once STOP is set, and sets ENDED (and notifies POSTED) when it ends, for
 * whatever reason.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const POSTED = 0;
const CONSUMED = 1;
const STOP = 2;
const ENDED = 3;

export class PrefetchThread<M> {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #ctl = new Int32Array(new SharedArrayBuffer(16));
  #consumed = 0;
  #closed = false;

  /** Starts `script` (plain JavaScript) with `data` plus `control` and `port` as its workerData. */
  constructor(script: URL, data: Record<string, unknown>) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(script, {
      workerData: { ...data, control: this.#ctl.buffer, port: port2 },
      transferList: [port2],
      // plain JavaScript: skip the loaders (tsx) the parent may run under, they cost a start of ~100 ms
      execArgv: [],
    });
    // an abandoned reader must not keep the process alive
    this.#worker.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next message, waiting for it; undefined when the thread ended without posting one more. */
  receive(): M | undefined {
    let msg: M | undefined;
    for (;;) {
      const posted = Atomics.load(this.#ctl, POSTED);
      msg = receiveMessageOnPort(this.#port)?.message as M | undefined;
      if (msg) break;
      if (Atomics.load(this.#ctl, ENDED) === 1) {
        // it may have posted between the two looks
        msg = receiveMessageOnPort(this.#port)?.message as M | undefined;
        if (msg) break;
        return undefined;
      }
      Atomics.wait(this.#ctl, POSTED, posted, 1000);
    }
    this.#consumed++;
    Atomics.store(this.#ctl, CONSUMED, this.#consumed);
    Atomics.notify(this.#ctl, CONSUMED);
    return msg;
  }

  /** Stops the thread (safe to call twice). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#ctl, STOP, 1);
    Atomics.notify(this.#ctl, CONSUMED);
    this.#port.close();
    void this.#worker.terminate();
  }
}
