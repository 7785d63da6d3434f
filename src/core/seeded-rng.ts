/**
 * Deterministic random numbers (xoshiro128**), seeded from a number or string.
 * Every op receives one of these explicitly; `fork(label)` derives an independent stream,
 * so results do not depend on how many draws another consumer made.
 */
export class SeededRng {
  readonly seed: string;
  // cyrb128's running hash of `seed`, before its final mix: a fork hashes on from here instead of from the start
  #h1 = 1779033703;
  #h2 = 3144134277;
  #h3 = 1013904242;
  #h4 = 2773480762;
  // xoshiro128**'s state as 32-bit patterns (only bitwise operations touch them)
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  /** `new SeededRng(parent, label)` is `parent.fork(label)`. */
  constructor(seed: number | string | SeededRng, label?: string | number) {
    if (seed instanceof SeededRng) {
      const tail = `/${label}`;
      this.seed = seed.seed + tail;
      this.#h1 = seed.#h1;
      this.#h2 = seed.#h2;
      this.#h3 = seed.#h3;
      this.#h4 = seed.#h4;
      this.#absorb(tail);
    } else {
      this.seed = String(seed);
      this.#absorb(this.seed);
    }
    // cyrb128's final mix gives xoshiro's 4 state words
    const h1 = Math.imul(this.#h3 ^ (this.#h1 >>> 18), 597399067);
    const h2 = Math.imul(this.#h4 ^ (this.#h2 >>> 22), 2869860233);
    const h3 = Math.imul(h1 ^ (this.#h3 >>> 17), 951274213);
    const h4 = Math.imul(h2 ^ (this.#h4 >>> 19), 2716044179);
    this.#s0 = h1 ^ h2 ^ h3 ^ h4;
    this.#s1 = h2 ^ h1;
    this.#s2 = h3 ^ h1;
    this.#s3 = h4 ^ h1;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** cyrb128's per-character step over `s`. */
  #absorb(s: string): void {
    let h1 = this.#h1,
      h2 = this.#h2,
      h3 = this.#h3,
      h4 = this.#h4;
    for (let i = 0; i < s.length; i++) {
      const k = s.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    this.#h1 = h1;
    this.#h2 = h2;
    this.#h3 = h3;
    this.#h4 = h4;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Expected n > 0, got ${n}`);
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Cannot pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A new in-place-shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const a = items.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  /** k distinct indices from [0, n), in increasing order. */
  sampleIndices(n: number, k: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i))
      .slice(0, Math.min(k, n))
      .sort((x, y) => x - y);
  }

  /** Independent stream derived from this generator's seed and a label (does not advance this one). */
  fork(label: string | number): SeededRng {
    return new SeededRng(this, label);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
