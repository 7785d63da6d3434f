/**
 * Parquet v1 data page bodies for the column shapes exports use: PLAIN values, RLE levels.
 * Written by hand because the generic writer (hyparquet-writer) builds one JS value per level and
 * per float, which caps a 768-float hidden-state column at a few thousand rows/s; here a
 * fixed-width list row costs two level runs and one memcpy.
 */

/** Growable byte buffer. */
export class Bytes {
  buf: Buffer;
  length = 0;

  constructor(initial: number = 1 << 16) {
    // not from Node's shared pool: detach() hands the whole ArrayBuffer to another thread
    this.buf = Buffer.allocUnsafeSlow(initial);
  }

  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.u8(v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** The bytes written so far, handing over the memory behind them; this buffer starts afresh. */
  detach(): Buffer {
    const out = this.view();
    this.buf = Buffer.allocUnsafeSlow(Math.max(1 << 16, this.buf.length));
    this.length = 0;
    return out;
  }
}

/**
 * RLE levels (bit width <= 8) from runs, as the RLE/bit-packed hybrid with RLE runs only,
 * prefixed by the 4-byte length data page v1 expects. A run is encoded as soon as a different value
 * follows it, so a page of list<list<...>> rows (two runs per inner list) keeps no array of runs.
 */
export class LevelRuns {
  readonly #body = new Bytes(1024);
  #value = -1;
  #count = 0;
  total = 0;

  push(value: number, count: number): void {
    if (count <= 0) return;
    this.total += count;
    if (value === this.#value) {
      this.#count += count;
      return;
    }
    this.#close();
    this.#value = value;
    this.#count = count;
  }

  /** Appends the levels to `out`; the last call on this object. */
  writeTo(out: Bytes): void {
    this.#close();
    out.u32(this.#body.length);
    out.bytes(this.#body.view());
  }

  #close(): void {
    if (this.#count === 0) return;
    this.#body.varint(this.#count * 2); // LSB 0: an RLE run
    this.#body.u8(this.#value);
    this.#count = 0;
    this.#value = -1;
  }
}
