// The same math as src/core/soft-labels.ts and src/report/histogram.ts, for temperature previews.
export function softmaxT(z, t) {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v / t);
  let sum = 0;
  const e = z.map((v) => Math.exp(v / t - max));
  for (const v of e) sum += v;
  return e.map((v) => v / sum);
}

export function entropyOf(p) {
  let s = 0;
  for (const v of p) if (v > 0) s -= v * Math.log(v);
  return s;
}

export function histogramOf(values, bins, lo, hi) {
  const counts = new Array(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}

export function entropyHistogram(logits, t, bins, maxEntropy) {
  return histogramOf(
    logits.map((z) => entropyOf(softmaxT(z, t))),
    bins,
    0,
    maxEntropy,
  );
}
