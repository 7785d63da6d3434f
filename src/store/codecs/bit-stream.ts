/**
 * Bit-level writer and reader for the sequence codecs: fixed-width fields, Rice codes (for gaps and
 * small counts, whose sizes follow a roughly geometric law) and order-0 exp-Golomb codes (for the few
 * numbers with no known scale). Bits go LSB first into little-endian bytes.
 *
 * The accumulator is a plain number kept under 32 bits, so every field is at most 24 bits; wider
 * values are split by the callers of `bits`.
 */
import { DistilleryError } from '../../core/errors.ts';

/** A Rice quotient at or past this many ones is escaped: the value follows in 32 raw bits. */
const RICE_ESCAPE = 24;

export class BitWriter {
  buf: Uint8Array;
  length = 0;
  #acc = 0;
  #n = 0;

  constructor(initialBytes = 1024) {
    this.buf = new Uint8Array(initialBytes);
  }

  #grow(): void {
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** Appends the low `n` bits of `v` (n <= 24, v >= 0). */
  bits(v: number, n: number): void {
    this.#acc |= v << this.#n;
    this.#n += n;
    while (this.#n >= 8) {
      if (this.length === this.buf.length) this.#grow();
      this.buf[this.length++] = this.#acc & 0xff;
      this.#acc >>>= 8;
      this.#n -= 8;
    }
  }

  u32(v: number): void {
    this.bits(v & 0xffff, 16);
    this.bits(v >>> 16, 16);
  }

  /** Rice code with parameter r (0..24) of v >= 0: the quotient in unary (ones, then a zero), then r bits. */
  rice(v: number, r: number): void {
    const q = v < 2 ** 31 ? v >>> r : Math.floor(v / 2 ** r);
    if (q >= RICE_ESCAPE) {
      for (let i = 0; i < RICE_ESCAPE; i += 8) this.bits(0xff, 8);
      this.u32(v);
      return;
    }
    // the unary part and the remainder in one call when they fit the accumulator
    if (q + 1 + r <= 24) this.bits(((1 << q) - 1) | ((v & ((1 << r) - 1)) << (q + 1)), q + 1 + r);
    else {
      this.bits((1 << q) - 1, q + 1);
      this.bits(v & ((1 << r) - 1), r);
    }
  }

  /** Order-0 exp-Golomb code of v >= 0 (2*floor(log2(v+1))+1 bits). */
  expGolomb(v: number): void {
    const x = v + 1;
    const len = 31 - Math.clz32(x);
    this.bits(0, len);
    // x has len+1 significant bits: its top bit ends the run of zeros
    if (len + 1 <= 24) this.bits(reverse(x, len + 1), len + 1);
    else {
      const rev = reverse(x, len + 1);
      this.bits(rev & 0xffff, 16);
      this.bits(rev >>> 16, len + 1 - 16);
    }
  }

  /** Pads to a byte boundary and returns the bytes written. */
  finish(): Uint8Array {
    if (this.#n > 0) this.bits(0, 8 - this.#n);
    return this.buf.subarray(0, this.length);
  }
}

/** The low n bits of x, in reverse order (exp-Golomb's leading 1 must come first in an LSB-first stream). */
function reverse(x: number, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++) r = (r << 1) | ((x >>> i) & 1);
  return r >>> 0;
}

export class BitReader {
  readonly #buf: Uint8Array;
  #pos: number;
  #acc = 0;
  #n = 0;

  constructor(buf: Uint8Array, offset = 0) {
    this.#buf = buf;
    this.#pos = offset;
  }

  #fill(need: number): void {
    while (this.#n < need) {
      if (this.#pos >= this.#buf.length) throw new DistilleryError('INTERNAL', 'sequence blob is truncated');
      this.#acc |= this.#buf[this.#pos++]! << this.#n;
      this.#n += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.#n < n) this.#fill(n);
    const acc = this.#acc;
    this.#acc = acc >>> n;
    this.#n -= n;
    return acc & ((1 << n) - 1);
  }

  u32(): number {
    const lo = this.bits(16);
    return lo + this.bits(16) * 65536;
  }

  rice(r: number): number {
    // fast path: the whole code is in the accumulator (at least 24 bits after a fill, unless at the end);
    // the state goes through locals, one load and one store of each field a code
    let acc = this.#acc;
    let n = this.#n;
    if (n <= 23) {
      const buf = this.#buf;
      let pos = this.#pos;
      while (n <= 23 && pos < buf.length) {
        acc |= buf[pos++]! << n;
        n += 8;
      }
      this.#pos = pos;
    }
    const ones = 31 - Math.clz32(~acc & (acc + 1));
    const len = ones + 1 + r;
    if (len <= n && ones < RICE_ESCAPE) {
      this.#acc = acc >>> len;
      this.#n = n - len;
      return (ones << r) | ((acc >>> (ones + 1)) & ((1 << r) - 1));
    }
    this.#acc = acc;
    this.#n = n;
    return this.#riceSlow(r);
  }

  #riceSlow(r: number): number {
    let q = 0;
    for (;;) {
      this.#fill(1);
      // take the run of ones in the accumulator in one step, never past the escape length
      const ones = Math.min(31 - Math.clz32(~this.#acc & (this.#acc + 1)), this.#n, RICE_ESCAPE - q);
      q += ones;
      this.#acc >>>= ones;
      this.#n -= ones;
      if (q === RICE_ESCAPE) return this.u32();
      if (this.#n > 0) break;
    }
    this.bits(1); // the terminating zero
    return q * 2 ** r + this.bits(r);
  }

  expGolomb(): number {
    let len = 0;
    while (this.bits(1) === 0) len++;
    // the leading 1 was consumed; the remaining len bits come most significant first
    let x = 1;
    for (let i = 0; i < len; i++) x = x * 2 + this.bits(1);
    return x - 1;
  }
}

/** The Rice parameter in 0..maxR that codes `values[from..to)` in the fewest bits. */
export function bestRiceParameter(values: ArrayLike<number>, from: number, to: number, maxR: number): number {
  const n = to - from;
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  // the optimum sits near log2(mean); try its neighbours exactly
  const guess = Math.max(0, Math.min(maxR, Math.floor(Math.log2(sum / n + 1))));
  let best = guess;
  let bestCost = Infinity;
  for (let r = Math.max(0, guess - 2); r <= Math.min(maxR, guess + 1); r++) {
    let cost = n * (r + 1);
    const d = 2 ** r;
    for (let i = from; i < to; i++) cost += Math.floor(values[i]! / d);
    if (cost < bestCost) {
      bestCost = cost;
      best = r;
    }
  }
  return best;
}
