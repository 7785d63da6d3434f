/**
 * IEEE 754 binary16 conversion, shared by fp16 models (teacher outputs) and fp16 storage. Float32 -> float16 rounds to nearest, ties to even, the same
 * rounding numpy and torch use, so decoded values match what a trainer would get from `.half()`.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits of the float32 value `x` (round to nearest even; overflow -> Infinity; NaN kept). */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf / NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (e <= 0) {
    // subnormal half (or zero): shift the mantissa with its implicit bit into place
    if (e < -10) return sign; // below half the smallest subnormal: signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    const rounded = rem > mid || (rem === mid && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (and may reach Infinity)
  const rounded = rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  return sign | rounded;
}

/** The float value of binary16 bits `h`. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// Decoding is the hot path of every read: a 64K-entry table turns it into one lookup.
let table: Float32Array | undefined;
function decodeTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = float16BitsToFloat32(h);
  }
  return table;
}

/**
 * Array version with a branch-light fast path for the normal half range (the usual case for
 * logits and hidden states): adding 0xfff + the odd bit to the float32 bits before truncating
 * rounds to nearest even. Subnormals, overflow and NaN take the exact scalar path above.
 */
export function encodeFloat16(values: Float32Array): Uint16Array {
  const bits =
    values.byteOffset % 4 === 0
      ? new Uint32Array(values.buffer, values.byteOffset, values.length)
      : new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const abs = x & 0x7fffffff;
    if (abs >= 0x38800000 && abs < 0x47800000) {
      // rebias the exponent (127 -> 15) and round at bit 13
      const r = abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1);
      out[i] = ((x >>> 16) & 0x8000) | (r >>> 13);
    } else {
      out[i] = float32ToFloat16Bits(values[i]!);
    }
  }
  return out;
}

export function decodeFloat16(bits: Uint16Array): Float32Array {
  const t = decodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}
