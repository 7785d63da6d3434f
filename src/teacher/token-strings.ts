/**
 * The token strings a teacher's own tokenizer makes of an input (no model load), truncated as the
 * teacher truncates: what a report needs to name the rows and columns of a stored attention map.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { TextInput } from '../core/types.ts';
import { loadTokenizer } from './hf-env.ts';
import { TextEncoder } from './text-encoder.ts';

/** Token strings of `input` for the teacher in folder `dir`; rejects when its tokenizer cannot be loaded. */
export type TokenStrings = (dir: string, input: TextInput, maxLength: number) => Promise<string[]>;

/** A TokenStrings that loads each folder's tokenizer once. */
export function tokenStrings(): TokenStrings {
  const tokenizers = new Map<string, Promise<PreTrainedTokenizer>>();
  return async (dir, input, maxLength) => {
    let pending = tokenizers.get(dir);
    if (!pending) tokenizers.set(dir, (pending = loadTokenizer(dir)));
    const tokenizer = await pending;
    const { ids } = new TextEncoder(tokenizer, maxLength).encode(input);
    const model = (tokenizer as unknown as { model?: { convert_ids_to_tokens?(ids: number[]): string[] } }).model;
    return model?.convert_ids_to_tokens?.(ids) ?? ids.map((id) => tokenizer.decode([id]));
  };
}

/** Text of each id alone, as the teacher's tokenizer decodes it (special tokens kept); for report strips. */
export type IdTexts = (dir: string, ids: readonly number[]) => Promise<string[]>;

/** An IdTexts that loads each folder's tokenizer once. */
export function idTexts(): IdTexts {
  const tokenizers = new Map<string, Promise<PreTrainedTokenizer>>();
  return async (dir, ids) => {
    let pending = tokenizers.get(dir);
    if (!pending) tokenizers.set(dir, (pending = loadTokenizer(dir)));
    const tokenizer = await pending;
    return ids.map((id) => tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
  };
}
