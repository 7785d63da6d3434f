/** Fixed-range histograms: the same bins on the server, in the browser and in the HTML report. */
export interface Histogram {
  /** bin edges, length bins + 1 */
  edges: number[];
  counts: number[];
}

export function histogram(values: Iterable<number>, bins: number, lo: number, hi: number): Histogram {
  if (!(bins >= 1) || !(hi > lo)) throw new RangeError(`Expected bins >= 1 and hi > lo, got ${bins}, [${lo}, ${hi}]`);
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    // the top edge belongs to the last bin; values a rounding error outside the range are clamped
    const i = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[i]!++;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  return { edges, counts };
}
