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

  constructor(initial = 1 << 16) {
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
 * prefixed by the 4-byte length data page v1 expects.
 */
export class LevelRuns {
  readonly #values: number[] = [];
  readonly #counts: number[] = [];
  total = 0;

  push(value: number, count: number): void {
    if (count <= 0) return;
    this.total += count;
    const last = this.#values.length - 1;
    if (last >= 0 && this.#values[last] === value) this.#counts[last]! += count;
    else {
      this.#values.push(value);
      this.#counts.push(count);
    }
  }

  writeTo(out: Bytes): void {
    const body = new Bytes(2 * this.#values.length + 16);
    for (let i = 0; i < this.#values.length; i++) {
      body.varint(this.#counts[i]! * 2); // LSB 0: an RLE run
      body.u8(this.#values[i]!);
    }
    // varints of large counts can exceed the estimate: Bytes grows as needed
    out.u32(body.length);
    out.bytes(body.view());
  }
}
