/**
 * Which distillation outputs a graph offers, read from its output names
 * (`logits`, `hidden_states.N`, `attentions.N`), and which names a spec needs.
 */
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec } from '../core/types.ts';

export interface GraphOutputs {
  logits: boolean;
  /** indices N of hidden_states.N, ascending (0 = embeddings) */
  hiddenLayers: number[];
  /** indices N of attentions.N, ascending */
  attentionLayers: number[];
}

function indices(names: readonly string[], prefix: string): number[] {
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

export function graphOutputs(outputNames: readonly string[]): GraphOutputs {
  return {
    logits: outputNames.includes('logits'),
    hiddenLayers: indices(outputNames, 'hidden_states.'),
    attentionLayers: indices(outputNames, 'attentions.'),
  };
}

function pickLayers(
  requested: 'all' | 'last' | number[],
  available: number[],
  kind: string,
  modelDir: string,
): number[] {
  const fix =
    kind === 'hidden states'
      ? `run \`distillery models expose-hidden ${modelDir} OUT_DIR\` and use the copy as the teacher`
      : 'export the model with attention outputs (output_attentions=True)';
  if (available.length === 0) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', `This teacher's graph has no ${kind} outputs`, { hint: fix });
  }
  if (requested === 'all') return available;
  if (requested === 'last') return [available[available.length - 1]!];
  const missing = requested.filter((l) => !available.includes(l));
  if (missing.length) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', `This teacher has no ${kind} for layer(s) ${missing.join(', ')}`, {
      hint: `available layers: ${available.join(', ')}`,
    });
  }
  return [...new Set(requested)].sort((a, b) => a - b);
}

export interface ResolvedSpec {
  fetches: string[];
  hiddenLayers: number[];
  attentionLayers: number[];
  needLogits: boolean;
}

export function resolveSpec(spec: OutputSpec, available: GraphOutputs, modelDir: string): ResolvedSpec {
  const needLogits = spec.logits || spec.temperatures.length > 0 || (spec.topK ?? 0) > 0;
  if (needLogits && !available.logits) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', 'This teacher has no `logits` output', {
      hint: 'use a model with a task head (ForSequenceClassification or ForMaskedLM)',
    });
  }
  const hiddenLayers = spec.hidden
    ? pickLayers(spec.hidden.layers, available.hiddenLayers, 'hidden states', modelDir)
    : [];
  const attentionLayers = spec.attentions
    ? pickLayers(spec.attentions.layers, available.attentionLayers, 'attention', modelDir)
    : [];
  const fetches = [
    ...(needLogits ? ['logits'] : []),
    ...hiddenLayers.map((l) => `hidden_states.${l}`),
    ...attentionLayers.map((l) => `attentions.${l}`),
  ];
  return { fetches, hiddenLayers, attentionLayers, needLogits };
}
