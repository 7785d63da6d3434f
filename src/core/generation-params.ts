/**
 * How a causal-LM teacher writes: the decoding parameters, their defaults, and the one check of them
 * (shared by the generator and the `generate` op) with an error that names the field.
 */
import { DistilleryError } from './errors.ts';

export interface GenerationParams {
  /** tokens written at most per response */
  maxNewTokens: number;
  /** 0 = greedy (argmax, no draw); otherwise logits are divided by it before sampling */
  temperature: number;
  /** sample among the k most likely tokens only; 0 = no limit */
  topK: number;
  /** sample among the most likely tokens whose probabilities sum to at least p; 1 = no limit */
  topP: number;
  /** CTRL's penalty on every token already in the prompt or the response; 1 = none */
  repetitionPenalty: number;
  /** the response ends where one of these strings first appears (the string itself is cut off) */
  stop: string[];
}

export const DEFAULT_GENERATION_PARAMS: Readonly<GenerationParams> = Object.freeze({
  maxNewTokens: 64,
  temperature: 0,
  topK: 0,
  topP: 1,
  repetitionPenalty: 1,
  stop: [],
});

export const MAX_STOP_STRINGS = 16;
export const MAX_NEW_TOKENS = 4096;

const bad = (field: string, message: string) =>
  new DistilleryError('INVALID_INPUT', `${field}: ${message}`, {
    hint: 'fix the generation parameters (docs/LLM-TEACHERS.md, "Generating")',
    details: { field },
  });

/** Defaults filled in; any field out of range or of the wrong type is an INVALID_INPUT naming it. */
export function resolveGenerationParams(given: Partial<GenerationParams> = {}): GenerationParams {
  const known = new Set(Object.keys(DEFAULT_GENERATION_PARAMS));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) throw bad(key, `unknown parameter; expected one of ${[...known].join(', ')}`);
  }
  const p = { ...DEFAULT_GENERATION_PARAMS, ...stripUndefined(given) };
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!int(p.maxNewTokens) || p.maxNewTokens < 1 || p.maxNewTokens > MAX_NEW_TOKENS)
    throw bad('maxNewTokens', `must be an integer from 1 to ${MAX_NEW_TOKENS}, got ${String(p.maxNewTokens)}`);
  if (!finite(p.temperature) || p.temperature < 0)
    throw bad('temperature', `must be a finite number >= 0 (0 = greedy), got ${String(p.temperature)}`);
  if (!int(p.topK) || p.topK < 0) throw bad('topK', `must be an integer >= 0 (0 = no limit), got ${String(p.topK)}`);
  if (!finite(p.topP) || p.topP <= 0 || p.topP > 1) throw bad('topP', `must be in (0, 1], got ${String(p.topP)}`);
  if (!finite(p.repetitionPenalty) || p.repetitionPenalty <= 0)
    throw bad('repetitionPenalty', `must be a finite number > 0 (1 = none), got ${String(p.repetitionPenalty)}`);
  if (!Array.isArray(p.stop) || p.stop.length > MAX_STOP_STRINGS)
    throw bad('stop', `must be a list of at most ${MAX_STOP_STRINGS} strings`);
  p.stop.forEach((s, i) => {
    if (typeof s !== 'string' || s === '') throw bad(`stop[${i}]`, 'must be a non-empty string');
  });
  return { ...p, stop: [...p.stop] };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
