/**
 * Which model folders are causal LMs (task text-generation), read from config.json the way the other
 * tasks are, and what such a model offers a distillation job (`distillery models inspect`).
 */
import { TARGET_OUTPUTS } from './expose-targets.ts';

/** `*ForCausalLM` / `*LMHeadModel` architectures (Llama, Qwen, SmolLM, Phi, GPT-2, ...). */
export function isCausalLm(config: Record<string, unknown>): boolean {
  const arch = String((config.architectures as string[] | undefined)?.[0] ?? '');
  if (config.is_encoder_decoder === true) return false;
  return /ForCausalLM$|LMHeadModel$/.test(arch);
}

export interface CausalDescription {
  vocabSize: number;
  contextLength: number;
  chatTemplate: boolean;
  /** number of past_key_values.* inputs (fed empty); 0 for an export without a KV cache */
  pastInputs: number;
  numLogitsToKeep: boolean;
  /** whether the graph already carries the targets nodes (a copy written by expose-topk) */
  targetsInGraph: boolean;
  /** per-position outputs a job may ask for */
  outputs: string[];
}

export function describeCausal(
  config: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
  inputNames: readonly string[],
  outputNames: readonly string[],
  rewritable: boolean,
): CausalDescription {
  const contextLength = Math.min(
    Number(config.max_position_embeddings ?? config.n_positions ?? Infinity),
    Number(tokenizerConfig.model_max_length ?? Infinity),
  );
  return {
    vocabSize: Number(config.vocab_size),
    contextLength,
    chatTemplate: Boolean(tokenizerConfig.chat_template),
    pastInputs: inputNames.filter((n) => n.startsWith('past_key_values.')).length,
    numLogitsToKeep: inputNames.includes('num_logits_to_keep'),
    targetsInGraph: outputNames.includes(TARGET_OUTPUTS.topkLogprobs),
    // every output comes from the rewritten head; a graph whose head cannot be rewritten offers none
    outputs: rewritable
      ? [
          'topK (ids + log-probs over the full vocabulary, tail mass, lse)',
          'samples (seeded draws: unique ids + counts)',
          'target (next-token log-prob and rank, entropy)',
          'hidden (last hidden state, fp16)',
        ]
      : [],
  };
}
