/**
 * Token strings for the attention heatmap's axes, from the teacher's own tokenizer (no model load):
 * the same ids, truncation included, that the teacher saw when the attentions were stored.
 */
import type { TextInput } from '../core/types.ts';
import { idTexts, tokenStrings, type IdTexts, type TokenStrings } from '../teacher/token-strings.ts';
import type { ExampleAttention } from './example-attention.ts';
import type { TokenTexts } from './sequence-samples.ts';

export type TokenLabeler = (teacher: string, input: TextInput, maxLength: number) => Promise<string[] | undefined>;

/** `modelDir(name)` finds a configured teacher's folder; teachers it does not know get no labels. */
export function tokenLabeler(
  modelDir: (teacher: string) => string | undefined,
  strings: TokenStrings = tokenStrings(),
): TokenLabeler {
  return async (teacher, input, maxLength) => {
    const dir = modelDir(teacher);
    if (dir === undefined) return undefined;
    try {
      return await strings(dir, input, maxLength);
    } catch {
      // labels are a nicety: the heatmap falls back to positions
      return undefined;
    }
  };
}

/** Adds token labels when the tokenizer gives exactly as many tokens as the stored map has. */
export async function withTokenLabels(
  att: ExampleAttention,
  labeler: TokenLabeler | undefined,
): Promise<ExampleAttention> {
  if (!labeler) return att;
  const input: TextInput = att.textPair === undefined ? { text: att.text } : { text: att.text, textPair: att.textPair };
  const labels = await labeler(att.teacher, input, att.maxLength);
  return labels && labels.length === att.tokens ? { ...att, tokenLabels: labels } : att;
}

/** Token texts for sequence strips from a configured teacher's tokenizer; undefined when it cannot. */
export function tokenTexter(modelDir: (teacher: string) => string | undefined, texts: IdTexts = idTexts()): TokenTexts {
  return async (teacher, ids) => {
    const dir = modelDir(teacher);
    if (dir === undefined) return undefined;
    try {
      return await texts(dir, ids);
    } catch {
      // texts are a nicety: the strip falls back to ids
      return undefined;
    }
  };
}
