/**
 * Reads a job's parts on a worker thread (part-reader-thread.mjs) while the merging thread inserts the
 * previous ones: reading, checking the sha256 and parsing a part's header cost about half as much as its
 * rows' inserts, and now run beside them.
 * The caller stays synchronous: it blocks on the next part only when the reader has not produced it
 * yet. At most `aheadBytes` of parts wait.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { DistilleryError } from '../../core/errors.ts';
import type { Encoding } from '../../core/types.ts';
import type { OpChainCount, RunCounts } from '../runner/ports.ts';

const POSTED = 0;
const CONSUMED = 1;
const STOP = 2;
/** set by the reader when it ends, for whatever reason */
const ENDED = 3;

/** A part's examples column by column, label and origin as the JSON text the store keeps. */
export interface ExampleColumns {
  ids: string[];
  texts: string[];
  pairs: (string | null)[];
  labels: (string | null)[];
  origins: string[];
  kinds: (string | null)[];
  /** each row's input hash (32 bytes each, back to back), when the part's outputs give them (null: hash the rows) */
  hashes: Uint8Array | null;
}

/** One teacher's outputs in a part: blob j is `lens[j]` bytes at `starts[j]` of the part's data. */
export interface OutputColumns {
  fingerprint: string;
  encoding: Encoding;
  /** 32 bytes per output */
  hashes: Uint8Array;
  tokens: Float64Array;
  /** 1 where the input was truncated */
  truncated: Uint8Array;
  /** components per output, in order */
  perOutput: Uint16Array;
  /** blob j is component `names[component[j]]` */
  names: string[];
  component: Uint16Array;
  starts: Float64Array;
  lens: Float64Array;
}

export interface PartRows {
  chunk: number;
  dataset: string;
  records: number;
  counts: RunCounts;
  opCounts: OpChainCount[];
  examples: ExampleColumns;
  teachers: OutputColumns[];
  /** the part's bytes */
  data: ArrayBuffer;
}

type Message = { rows: PartRows } | { error: string; hint?: string; invalid: boolean };

export interface PrefetchedPart {
  part: string;
  sha256: string;
  bytes: number;
}

export class PartPrefetcher {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #ctl = new Int32Array(new SharedArrayBuffer(16));
  #consumed = 0;
  #finished = false;

  constructor(partsDir: string, parts: readonly PrefetchedPart[], aheadBytes: number) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(new URL('./part-reader-thread.mjs', import.meta.url), {
      workerData: {
        partsDir,
        parts: parts.map(({ part, sha256, bytes }) => ({ part, sha256, bytes })),
        aheadBytes,
        control: this.#ctl.buffer,
        port: port2,
      },
      transferList: [port2],
      // plain JavaScript: skip the loaders (tsx) the parent may run under, they cost a start of ~100 ms
      execArgv: [],
    });
    // an abandoned merge must not keep the process alive
    this.#worker.unref();
  }

  /** The next part's rows, checked against its sha256; throws what reading it threw. */
  nextRows(): PartRows {
    return this.#next().rows;
  }

  #next(): Exclude<Message, { error: string }> {
    if (this.#finished) throw new DistilleryError('INTERNAL', 'the part reader is closed');
    let msg: Message | undefined;
    for (;;) {
      const posted = Atomics.load(this.#ctl, POSTED);
      msg = receiveMessageOnPort(this.#port)?.message as Message | undefined;
      if (msg) break;
      if (Atomics.load(this.#ctl, ENDED) === 1) {
        msg = receiveMessageOnPort(this.#port)?.message as Message | undefined;
        if (msg) break;
        this.close();
        throw new DistilleryError('INTERNAL', 'the part reader thread stopped before the last part');
      }
      Atomics.wait(this.#ctl, POSTED, posted, 1000);
    }
    this.#consumed++;
    Atomics.store(this.#ctl, CONSUMED, this.#consumed);
    Atomics.notify(this.#ctl, CONSUMED);
    if ('error' in msg) {
      this.close();
      throw new DistilleryError(msg.invalid ? 'INVALID_INPUT' : 'INTERNAL', msg.error, {
        ...(msg.hint ? { hint: msg.hint } : {}),
      });
    }
    return msg;
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
