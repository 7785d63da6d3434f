/**
 * What model-backed ops talk to. src/teacher implements these on transformers.js / the teacher engine;
 * ops never import a model library.
 */
import type { TextInput } from '../core/types.ts';
import type { GenerationParams } from '../core/generation-params.ts';
import type { SeededRng } from '../core/seeded-rng.ts';

/** A classifier: class probabilities per input, same order. Implementations batch internally. */
export interface Scorer {
  score(inputs: TextInput[]): Promise<Float32Array[]>;
}

export interface FillCandidate {
  /** the filled word as text (word pieces merged) */
  token: string;
  score: number;
}

/** Masked LM: each text holds exactly one `maskToken`; top-k fills per text, same order. */
export interface FillMasker {
  readonly maskToken: string;
  fill(texts: string[], topK: number): Promise<FillCandidate[][]>;
}

export interface TranslateRequest {
  text: string;
  /** drives sampling for this text alone, so results do not depend on batch composition */
  rng: SeededRng;
}

export interface SamplingOptions {
  /** 0 = greedy */
  temperature: number;
  /** 0 = whole vocabulary */
  topK: number;
  maxNewTokens?: number;
}

/** One translation direction per call; `pair` names a model pair such as 'en-de' or a model folder. */
export interface Translator {
  translate(
    requests: TranslateRequest[],
    direction: { from: string; to: string },
    sampling: SamplingOptions,
  ): Promise<string[]>;
}

/** What a causal LM is asked to write from: a plain prompt, or chat messages for its chat template. */
export type GenerationPrompt = { prompt: string } | { messages: { role: string; content: string }[] };

export interface GeneratedText {
  text: string;
  finish: 'eos' | 'stop' | 'length';
  /** tokens written */
  tokens: number;
  /** sum of the written tokens' log-probabilities under the model */
  logprob: number;
}

/**
 * A causal LM that writes. Each request's text depends only on its prompt, the settings and its own rng,
 * never on the other requests of the call. A request that cannot run gets `{ error }` in its place.
 */
export interface TextGenerator {
  /** names the model in provenance (its teacher fingerprint) */
  readonly fingerprint: string;
  /** whether {messages} prompts can be rendered (the tokenizer has a chat template) */
  readonly chat: boolean;
  generate(
    requests: { input: GenerationPrompt; rng: SeededRng }[],
    settings: GenerationParams,
  ): Promise<(GeneratedText | { error: string })[]>;
}
