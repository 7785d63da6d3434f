/** Numerically stable soft-label math shared by the engine, the store, exports and evaluation. */

export function logSumExp(z: ArrayLike<number>, scale = 1): number {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]! * scale);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += Math.exp(z[i]! * scale - max);
  return max + Math.log(sum);
}

/** softmax(z / T) */
export function softmaxT(z: ArrayLike<number>, temperature = 1): Float32Array {
  if (!(temperature > 0)) throw new RangeError(`Expected temperature > 0, got ${temperature}`);
  const scale = 1 / temperature;
  const lse = logSumExp(z, scale);
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = Math.exp(z[i]! * scale - lse);
  return out;
}

/** Indices of the k largest values, largest first; ties broken by lower index. */
export function topKIndices(z: ArrayLike<number>, k: number): number[] {
  const n = Math.min(k, z.length);
  const idx: number[] = [];
  for (let i = 0; i < z.length; i++) {
    const v = z[i]!;
    if (idx.length < n) {
      idx.push(i);
      idx.sort((a, b) => z[b]! - z[a]! || a - b);
    } else if (v > z[idx[n - 1]!]!) {
      idx[n - 1] = i;
      idx.sort((a, b) => z[b]! - z[a]! || a - b);
    }
  }
  return idx;
}

export function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i]! > z[best]!) best = i;
  return best;
}

/** Shannon entropy in nats. */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!);
  return h;
}

/** KL(p || q) in nats; q is floored to avoid infinities from rounding. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>, floor = 1e-12): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi > 0) kl += pi * (Math.log(pi) - Math.log(Math.max(q[i]!, floor)));
  }
  // KL >= 0; rounding on near-identical distributions can leave a tiny negative sum.
  return Math.max(0, kl);
}
