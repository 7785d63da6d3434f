/**
 * Naming and splitting of causal-LM outputs: each SequenceOutputSpec part is a component cached
 * on its own (`topk:K@T1`, `samples:N@T1`, `target@T1`, `hidden`), so asking for samples after
 * top-k computes only the samples. A sequence is addressed by the sha256 of its token ids (int32
 * little-endian), its scored mask and its truncated flag: the same ids scored differently are a
 * different sequence, because every output blob has one row per scored position.
 */
import { createHash } from 'node:crypto';
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import { encodeSequenceTopK, type TopKQuantizer } from './codecs/sequence-topk-codec.ts';
import { StoredTopK } from './codecs/sequence-topk-decode.ts';
import {
  decodeSequenceHidden,
  decodeSequenceSamples,
  decodeSequenceTarget,
  encodeSequenceHidden,
  encodeSequenceSamples,
  encodeSequenceTarget,
} from './codecs/sequence-codecs.ts';

export type SequenceComponentKind = 'topk' | 'samples' | 'target' | 'hidden';

const temp = (t: number): string => `@T${t}`;

/** The components a spec asks for, in a fixed order. */
export function sequenceComponents(spec: SequenceOutputSpec): string[] {
  if (!(spec.temperature > 0) || !Number.isFinite(spec.temperature))
    throw new DistilleryError('INVALID_INPUT', `temperature ${spec.temperature} must be a positive number`);
  const positiveInt = (name: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max)
      throw new DistilleryError('INVALID_INPUT', `${name} must be an integer in 1..${max}, got ${v}`);
  };
  if (spec.topK !== undefined) positiveInt('topK', spec.topK, 2 ** 16);
  // counts are stored as uint16
  if (spec.samples !== undefined) positiveInt('samples.draws', spec.samples.draws, 65_535);
  const out: string[] = [];
  if (spec.topK !== undefined) out.push(`topk:${spec.topK}${temp(spec.temperature)}`);
  if (spec.samples !== undefined) out.push(`samples:${spec.samples.draws}${temp(spec.temperature)}`);
  if (spec.target) out.push(`target${temp(spec.temperature)}`);
  if (spec.hidden) out.push('hidden');
  return out;
}

export const componentKind = (component: string): SequenceComponentKind =>
  component.split(/[:@]/)[0] as SequenceComponentKind;

const topkOf = (component: string): { k: number; temp: string } | undefined => {
  const m = /^topk:(\d+)(@T.+)$/.exec(component);
  return m ? { k: Number(m[1]), temp: m[2]! } : undefined;
};

/**
 * The stored component that serves `wanted`: itself, or for top-k the smallest stored `topk:K` at the
 * same temperature with K >= k (rows are sorted, so their first k entries are the top k).
 */
export function servingComponent(wanted: string, have: readonly string[]): string | undefined {
  if (have.includes(wanted)) return wanted;
  const w = topkOf(wanted);
  if (!w) return undefined;
  let best: { k: number; c: string } | undefined;
  for (const c of have) {
    const h = topkOf(c);
    if (h && h.temp === w.temp && h.k > w.k && (!best || h.k < best.k)) best = { k: h.k, c };
  }
  return best?.c;
}

/**
 * Cuts top-k rows of K entries to their first k; the mass of the entries dropped moves to the tail
 * (from the decoded, quantized log-probs: relative error <= e^(1/16) - 1 on that part).
 */
export function truncateTopK(t: SequenceTargets, k: number): void {
  const tk = t.topk;
  if (!tk || tk.k === k) return;
  const rows = t.positions.length;
  const ids = new Int32Array(rows * k);
  const logprobs = new Float32Array(rows * k);
  const tailMass = new Float32Array(rows);
  for (let p = 0; p < rows; p++) {
    ids.set(tk.ids.subarray(p * tk.k, p * tk.k + k), p * k);
    logprobs.set(tk.logprobs.subarray(p * tk.k, p * tk.k + k), p * k);
    let dropped = 0;
    for (let j = k; j < tk.k; j++) dropped += Math.exp(tk.logprobs[p * tk.k + j]!);
    tailMass[p] = Math.min(1, tk.tailMass[p]! + dropped);
  }
  t.topk = { k, ids, logprobs, tailMass };
}

/** sha256 of (token ids, scored mask, truncated flag), 32 bytes. */
export function sequenceHash(s: Pick<SequenceTargets, 'tokenIds' | 'scored' | 'truncated'>): Buffer {
  return createHash('sha256')
    .update(new Uint8Array(s.tokenIds.buffer, s.tokenIds.byteOffset, s.tokenIds.byteLength))
    .update(s.scored)
    .update(s.truncated ? '\u0001' : '\u0000')
    .digest();
}

/** Checks that the rows of `t` are its scored positions, as the contract says. */
export function checkPositions(t: SequenceTargets): void {
  const S = t.tokenIds.length;
  if (t.scored.length !== S)
    throw new DistilleryError('INVALID_INPUT', `scored mask has ${t.scored.length} entries for ${S} tokens`);
  let p = 0;
  for (let i = 0; i < S; i++) {
    if (!t.scored[i]) continue;
    if (t.positions[p] !== i)
      throw new DistilleryError('INVALID_INPUT', `row ${p} is position ${t.positions[p]}, the scored mask says ${i}`);
    p++;
  }
  if (p !== t.positions.length || t.lse.length !== p)
    throw new DistilleryError('INVALID_INPUT', `${t.positions.length} rows for ${p} scored positions`);
}

/** The blob of one component of `t`; throws when `t` lacks it. */
export function encodeComponent(
  t: SequenceTargets,
  component: string,
  vocabSize: number,
  quantizer?: TopKQuantizer,
): Uint8Array {
  const rows = t.positions.length;
  const missing = (): never => {
    throw new DistilleryError('INVALID_INPUT', `the targets have no ${component} output`);
  };
  switch (componentKind(component)) {
    case 'topk':
      if (!t.topk || `topk:${t.topk.k}` !== component.split('@')[0]) return missing();
      return encodeSequenceTopK(t.topk, t.lse, vocabSize, quantizer);
    case 'samples':
      if (!t.samples || `samples:${t.samples.draws}` !== component.split('@')[0]) return missing();
      return encodeSequenceSamples(t.samples, rows, vocabSize);
    case 'target':
      return t.target ? encodeSequenceTarget(t.target, rows) : missing();
    case 'hidden':
      return t.hidden ? encodeSequenceHidden(t.hidden, rows) : missing();
    default:
      throw new DistilleryError('INTERNAL', `unknown sequence component ${component}`);
  }
}

/**
 * Adds one decoded component to `t` (the top-k blob also carries the log-sum-exp). With `lazyTopK`,
 * `t.topk` is a StoredTopK whose rows are decoded on first use or into the caller's arrays.
 */
export function applyComponent(t: SequenceTargets, component: string, blob: Uint8Array, lazyTopK = false): void {
  switch (componentKind(component)) {
    case 'topk': {
      const d = new StoredTopK(blob);
      t.topk = lazyTopK ? d : { k: d.k, ids: d.ids, logprobs: d.logprobs, tailMass: d.tailMass };
      t.lse = d.lse;
      return;
    }
    case 'samples': {
      const { vocabSize: _v, ...s } = decodeSequenceSamples(blob);
      t.samples = s;
      return;
    }
    case 'target':
      t.target = decodeSequenceTarget(blob);
      return;
    case 'hidden':
      t.hidden = decodeSequenceHidden(blob);
      return;
  }
}
