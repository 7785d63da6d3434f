/**
 * Text in and out of generation with the teacher's own tokenizer: a prompt (with the tokenizer's special
 * tokens, BOS where it adds one) or chat messages rendered by its chat template with the generation prompt
 * (the assistant header) appended; the end-of-sequence ids; and the response text, cut at a stop string.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { type ChatMessage, type GenerateInput, KNOWN_ROLES, SequenceInputError } from './sequence-input.ts';

export function encodePrompt(
  tokenizer: PreTrainedTokenizer,
  input: GenerateInput,
  maxLength: number,
): number[] | SequenceInputError {
  const r = input as Record<string, unknown>;
  let ids: number[];
  let field: string;
  if ('messages' in r) {
    field = 'messages';
    const text = renderChat(tokenizer, r.messages);
    if (text instanceof SequenceInputError) return text;
    ids = tokenizer.encode(text, { add_special_tokens: false }).map(Number);
  } else if ('prompt' in r) {
    field = 'prompt';
    if (typeof r.prompt !== 'string') return new SequenceInputError('prompt', 'prompt must be a string');
    if (r.prompt.trim() === '') return new SequenceInputError('prompt', 'prompt is empty');
    ids = tokenizer.encode(r.prompt, { add_special_tokens: true }).map(Number);
  } else {
    return new SequenceInputError('input', 'a prompt row needs {prompt} or {messages}');
  }
  if (ids.length === 0) return new SequenceInputError(field, `${field} has no tokens`);
  if (ids.length >= maxLength)
    return new SequenceInputError(field, `${ids.length} prompt tokens leave no room in the context of ${maxLength}`);
  return ids;
}

function renderChat(tokenizer: PreTrainedTokenizer, messages: unknown): string | SequenceInputError {
  if (!Array.isArray(messages) || messages.length === 0)
    return new SequenceInputError('messages', 'messages must be a non-empty list of {role, content}');
  for (const [i, m] of (messages as unknown[]).entries()) {
    const msg = m as Partial<ChatMessage> | null;
    if (typeof msg?.role !== 'string' || !KNOWN_ROLES.has(msg.role))
      return new SequenceInputError(
        `messages[${i}].role`,
        `unknown role ${JSON.stringify(msg?.role)}; expected one of ${[...KNOWN_ROLES].join(', ')}`,
      );
    if (typeof msg.content !== 'string')
      return new SequenceInputError(`messages[${i}].content`, 'content must be a string');
  }
  if (!(tokenizer as unknown as { chat_template?: unknown }).chat_template)
    return new SequenceInputError('messages', 'the tokenizer has no chat_template to render messages with');
  try {
    const options = { tokenize: false, add_generation_prompt: true } as const;
    return tokenizer.apply_chat_template(messages as never, options) as unknown as string;
  } catch (err) {
    return new SequenceInputError('messages', `the chat template failed to render: ${(err as Error).message}`);
  }
}

/** Every id that ends a response: config.json's, generation_config.json's and the tokenizer's eos. */
export function eosIds(dir: string, config: Record<string, unknown>, tokenizer: PreTrainedTokenizer): Set<number> {
  const ids = new Set<number>();
  const add = (v: unknown) => {
    for (const x of Array.isArray(v) ? v : [v]) if (Number.isInteger(x)) ids.add(Number(x));
  };
  add(config.eos_token_id);
  const generationConfig = path.join(dir, 'generation_config.json');
  if (existsSync(generationConfig)) {
    try {
      add((JSON.parse(readFileSync(generationConfig, 'utf8')) as Record<string, unknown>).eos_token_id);
    } catch {
      // a broken generation_config.json only loses its extra eos ids; config.json and the tokenizer still count
    }
  }
  add((tokenizer as unknown as { eos_token_id?: number | null }).eos_token_id);
  return ids;
}

/** Where the earliest stop string starts in `text`, or -1. */
export function stopIndex(text: string, stop: readonly string[]): number {
  let first = -1;
  for (const s of stop) {
    const at = text.indexOf(s);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

export function decodeResponse(tokenizer: PreTrainedTokenizer, ids: readonly number[]): string {
  // transformers.js refuses to decode an empty list (a response that is only its eos)
  return ids.length === 0 ? '' : tokenizer.decode([...ids], { skip_special_tokens: true });
}
