/**
 * Teacher evaluation on a labelled corpus: pure functions over logits and gold class indices, so a user
 * can judge the teacher (accuracy, macro-F1, calibration) and pick a distillation temperature from data.
 */

import { argmax, entropy } from './soft-labels.ts';

export { argmax, entropy };

/** softmax(z / T) in float64: evaluation sums many small probabilities, so it keeps full precision. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const n = logits.length;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(logits[i]! / temperature - max);
    sum += out[i]!;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

export function accuracy(predicted: readonly number[], gold: readonly number[]): number {
  if (predicted.length !== gold.length) throw new RangeError('predicted and gold differ in length');
  if (gold.length === 0) return NaN;
  let hit = 0;
  for (let i = 0; i < gold.length; i++) if (predicted[i] === gold[i]) hit++;
  return hit / gold.length;
}

export interface ClassScore {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class precision/recall/F1 and their unweighted mean over classes (a class never seen nor predicted is left out). */
export function macroF1(
  predicted: readonly number[],
  gold: readonly number[],
  numClasses: number,
): { macroF1: number; perClass: ClassScore[] } {
  const tp = new Array<number>(numClasses).fill(0);
  const fp = new Array<number>(numClasses).fill(0);
  const fn = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < gold.length; i++) {
    const p = predicted[i]!;
    const g = gold[i]!;
    if (p === g) tp[g]!++;
    else {
      fp[p]!++;
      fn[g]!++;
    }
  }
  const perClass: ClassScore[] = [];
  for (let c = 0; c < numClasses; c++) {
    if (tp[c]! + fp[c]! + fn[c]! === 0) continue;
    const precision = tp[c]! + fp[c]! === 0 ? 0 : tp[c]! / (tp[c]! + fp[c]!);
    const recall = tp[c]! + fn[c]! === 0 ? 0 : tp[c]! / (tp[c]! + fn[c]!);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ label: c, precision, recall, f1, support: tp[c]! + fn[c]! });
  }
  const mean = perClass.length === 0 ? NaN : perClass.reduce((s, x) => s + x.f1, 0) / perClass.length;
  return { macroF1: mean, perClass };
}

export interface ReliabilityBin {
  /** confidence range [lo, hi); the last bin includes 1 */
  lo: number;
  hi: number;
  count: number;
  /** mean top-class probability in the bin */
  confidence: number;
  accuracy: number;
}

/**
 * Expected calibration error with equal-width confidence bins: sum over bins of
 * (bin size / n) * |accuracy(bin) - mean confidence(bin)|, confidence being the top-class probability.
 */
export function calibration(
  probs: readonly ArrayLike<number>[],
  gold: readonly number[],
  bins = 10,
): { ece: number; table: ReliabilityBin[] } {
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    const top = argmax(p);
    const c = p[top]!;
    const b = Math.min(bins - 1, Math.floor(c * bins));
    count[b]!++;
    conf[b]! += c;
    if (top === gold[i]) hits[b]!++;
  }
  const n = probs.length;
  let ece = 0;
  const table: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const k = count[b]!;
    const confidence = k === 0 ? 0 : conf[b]! / k;
    const acc = k === 0 ? 0 : hits[b]! / k;
    if (k > 0) ece += (k / n) * Math.abs(acc - confidence);
    table.push({ lo: b / bins, hi: (b + 1) / bins, count: k, confidence, accuracy: acc });
  }
  return { ece: n === 0 ? NaN : ece, table };
}

export interface TemperaturePoint {
  temperature: number;
  /** mean entropy of softmax(z / T), nats */
  meanEntropy: number;
  /** mean KL(one-hot gold || softmax(z / T)) = mean -log p_T(gold), nats */
  meanKlToGold: number;
}

/** How soft the teacher's labels get as T grows, and how far they drift from the gold labels. */
export function temperatureSweep(
  logits: readonly ArrayLike<number>[],
  gold: readonly number[],
  temperatures: readonly number[] = [1, 2, 3, 4, 5],
): TemperaturePoint[] {
  return temperatures.map((t) => {
    let h = 0;
    let kl = 0;
    for (let i = 0; i < logits.length; i++) {
      const p = softmax(logits[i]!, t);
      h += entropy(p);
      kl += -Math.log(Math.max(p[gold[i]!]!, Number.MIN_VALUE));
    }
    return { temperature: t, meanEntropy: h / logits.length, meanKlToGold: kl / logits.length };
  });
}
