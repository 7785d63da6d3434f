/** softmax(z / T), computed in float64 and returned as float32. */
export function softmaxAt(logits: Float32Array, temperature: number): Float32Array {
  let max = -Infinity;
  for (const z of logits) max = Math.max(max, z / temperature);
  const e = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += e[i] = Math.exp(logits[i]! / temperature - max);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = e[i]! / sum;
  return out;
}

/** KL(p || q) in nats, float64; terms where p = 0 contribute nothing. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi > 0) kl += pi * Math.log(pi / Math.max(q[i]!, Number.MIN_VALUE));
  }
  return kl;
}

export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}
