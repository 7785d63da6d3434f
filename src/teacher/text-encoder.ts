/**
 * Turns texts (or pairs) into token ids with the model's own tokenizer, truncated to the max length.
 * Truncation keeps the special tokens and trims the longer segment first (Hugging Face's
 * "longest_first"); transformers.js would cut the final [SEP] instead.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { TextInput } from '../core/types.ts';

export interface EncodedText {
  ids: number[];
  typeIds: number[];
  truncated: boolean;
}

interface RawEncoding {
  input_ids: number[];
  token_type_ids?: number[];
}

export class TextEncoder {
  readonly #tokenizer: PreTrainedTokenizer;
  readonly #special: Set<number>;
  readonly maxLength: number;
  readonly padId: number;

  constructor(tokenizer: PreTrainedTokenizer, maxLength: number) {
    this.#tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.#special = new Set(tokenizer.all_special_ids.map(Number));
    this.padId = Number(tokenizer.pad_token_id ?? 0);
  }

  encode(input: TextInput): EncodedText {
    const enc = (this.#tokenizer as unknown as { _encode_plus(t: string, o: object): RawEncoding })._encode_plus(
      input.text,
      {
        text_pair: input.textPair ?? null,
        add_special_tokens: true,
        return_token_type_ids: true,
      },
    );
    const ids = enc.input_ids.map(Number);
    const typeIds = enc.token_type_ids?.map(Number) ?? new Array<number>(ids.length).fill(0);
    if (ids.length <= this.maxLength) return { ids, typeIds, truncated: false };
    return this.#truncate(ids, typeIds, input.textPair !== undefined);
  }

  #truncate(ids: number[], typeIds: number[], isPair: boolean): EncodedText {
    // Content positions in order; for a pair the first segment's content comes before the second's.
    const content = ids.map((id, i) => (this.#special.has(id) ? -1 : i)).filter((i) => i >= 0);
    let firstEnd = content.length;
    if (isPair) {
      // The second segment starts after the first special token that follows content.
      const sepAfterFirst = ids.findIndex((id, i) => i > (content[0] ?? 0) && this.#special.has(id));
      firstEnd = content.filter((i) => i < sepAfterFirst).length;
    }
    let a = firstEnd;
    let b = content.length - firstEnd;
    let excess = ids.length - this.maxLength;
    while (excess > 0 && a + b > 0) {
      if (a >= b) a--;
      else b--;
      excess--;
    }
    const keep = new Set([...content.slice(0, a), ...content.slice(firstEnd, firstEnd + b)]);
    const outIds: number[] = [];
    const outTypes: number[] = [];
    ids.forEach((id, i) => {
      if (this.#special.has(id) || keep.has(i)) {
        outIds.push(id);
        outTypes.push(typeIds[i]!);
      }
    });
    return { ids: outIds.slice(0, this.maxLength), typeIds: outTypes.slice(0, this.maxLength), truncated: true };
  }
}
