/**
 * Reads a job's parts on a worker thread (part-reader-thread.mjs) while the merging thread inserts the
 * previous ones: reading, checking the sha256 and parsing a part's header cost about half as much as its
 * rows' inserts, and now run beside them.
 * The caller stays synchronous: it blocks on the next part only when the reader has not produced it
 * yet. At most `aheadBytes` of parts wait.
 */
import { DistilleryError } from '../../core/errors.ts';
import { PrefetchThread } from '../../core/prefetch-thread.ts';
import type { Encoding } from '../../core/types.ts';
import type { OpChainCount, RunCounts } from '../runner/ports.ts';

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
  readonly #thread: PrefetchThread<Message>;

  constructor(partsDir: string, parts: readonly PrefetchedPart[], aheadBytes: number) {
    this.#thread = new PrefetchThread(new URL('./part-reader-thread.mjs', import.meta.url), {
      partsDir,
      parts: parts.map(({ part, sha256, bytes }) => ({ part, sha256, bytes })),
      aheadBytes,
    });
  }

  /** The next part's rows, checked against its sha256; throws what reading it threw. */
  nextRows(): PartRows {
    return this.#next().rows;
  }

  #next(): Exclude<Message, { error: string }> {
    if (this.#thread.closed) throw new DistilleryError('INTERNAL', 'the part reader is closed');
    const msg = this.#thread.receive();
    if (!msg) {
      this.close();
      throw new DistilleryError('INTERNAL', 'the part reader thread stopped before the last part');
    }
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
    this.#thread.close();
  }
}
