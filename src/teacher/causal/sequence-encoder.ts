/**
 * Corpus rows -> token ids + which tokens are targets, with the teacher's own tokenizer.
 *
 * {prompt, response}: prompt with the tokenizer's special tokens (BOS where it adds one), then the
 * response without, then eos; the response tokens (and eos) are the targets.
 * {messages}: rendered by the tokenizer's chat template (transformers.js apply_chat_template, which
 * runs the Jinja template); message i spans the tokens between the render of messages[0..i) with the
 * generation prompt (its header) and the render of messages[0..i]. Each prefix must tokenize to a
 * prefix of the whole, which holds when messages are separated by special tokens; a template that
 * breaks it is refused rather than scored on guessed boundaries.
 * {text}: every token is a target.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import {
  type ChatMessage,
  type EncodedSequence,
  KNOWN_ROLES,
  type SequenceInput,
  SequenceInputError,
  type SequenceOptions,
} from './sequence-input.ts';

type RenderOptions = { tokenize: false; add_generation_prompt: boolean };

export class SequenceEncoder {
  readonly #tokenizer: PreTrainedTokenizer;
  readonly maxLength: number;
  readonly eosId: number | undefined;
  readonly hasChatTemplate: boolean;

  constructor(tokenizer: PreTrainedTokenizer, maxLength: number) {
    this.#tokenizer = tokenizer;
    this.maxLength = maxLength;
    const eos = (tokenizer as unknown as { eos_token_id?: number | null }).eos_token_id;
    this.eosId = eos === null || eos === undefined ? undefined : Number(eos);
    this.hasChatTemplate = Boolean((tokenizer as unknown as { chat_template?: unknown }).chat_template);
  }

  encode(row: SequenceInput, opts: SequenceOptions): EncodedSequence | SequenceInputError {
    const r = row as Record<string, unknown>;
    let seq: EncodedSequence | SequenceInputError;
    let field: string;
    if ('messages' in r) {
      field = 'messages';
      seq = this.#chat(r.messages, opts);
    } else if ('prompt' in r || 'response' in r) {
      field = 'response';
      seq = this.#pair(r.prompt, r.response, opts);
    } else if ('text' in r) {
      field = 'text';
      seq = this.#text(r.text, opts);
    } else {
      return new SequenceInputError('input', 'a row needs {prompt, response}, {messages} or {text}');
    }
    return seq instanceof SequenceInputError ? seq : this.#fit(seq, opts, field);
  }

  #ids(text: string, special: boolean): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: special }).map(Number);
  }

  #pair(prompt: unknown, response: unknown, opts: SequenceOptions): EncodedSequence | SequenceInputError {
    for (const [name, v] of [
      ['prompt', prompt],
      ['response', response],
    ] as const) {
      if (typeof v !== 'string') return new SequenceInputError(name, `${name} must be a string`);
      if (v.trim() === '') return new SequenceInputError(name, `${name} is empty`);
    }
    const head = this.#ids(prompt as string, true);
    const tail = this.#ids(response as string, false);
    if (opts.appendEos && this.eosId !== undefined) tail.push(this.eosId);
    const targets = new Uint8Array(head.length + tail.length);
    targets.fill(1, opts.scope === 'all' ? 1 : head.length);
    return { ids: [...head, ...tail], targets, truncated: false };
  }

  #text(text: unknown, _opts: SequenceOptions): EncodedSequence | SequenceInputError {
    if (typeof text !== 'string') return new SequenceInputError('text', 'text must be a string');
    const ids = this.#ids(text, true);
    if (ids.length < 2) return new SequenceInputError('text', `text has ${ids.length} token(s); scoring needs 2`);
    const targets = new Uint8Array(ids.length).fill(1, 1);
    return { ids, targets, truncated: false };
  }

  #render(messages: ChatMessage[], generationPrompt: boolean): string {
    const options: RenderOptions = { tokenize: false, add_generation_prompt: generationPrompt };
    return this.#tokenizer.apply_chat_template(messages as never, options) as unknown as string;
  }

  #chat(messages: unknown, opts: SequenceOptions): EncodedSequence | SequenceInputError {
    if (!Array.isArray(messages) || messages.length === 0) {
      return new SequenceInputError('messages', 'messages must be a non-empty list of {role, content}');
    }
    for (const [i, m] of (messages as unknown[]).entries()) {
      const msg = m as Partial<ChatMessage> | null;
      if (typeof msg?.role !== 'string' || !KNOWN_ROLES.has(msg.role)) {
        return new SequenceInputError(
          `messages[${i}].role`,
          `unknown role ${JSON.stringify(msg?.role)}; expected one of ${[...KNOWN_ROLES].join(', ')}`,
        );
      }
      if (typeof msg.content !== 'string') {
        return new SequenceInputError(`messages[${i}].content`, 'content must be a string');
      }
    }
    if (!this.hasChatTemplate) {
      return new SequenceInputError('messages', 'the tokenizer has no chat_template to render messages with');
    }
    const list = messages as ChatMessage[];
    let ids: number[];
    const spans: { start: number; end: number; role: string }[] = [];
    try {
      ids = this.#ids(this.#render(list, false), false);
      let end = 0;
      for (let i = 0; i < list.length; i++) {
        // an assistant message's targets start after its header (the generation prompt)
        const start = list[i]!.role === 'assistant' ? this.#prefixLength(list.slice(0, i), true, ids) : end;
        end = this.#prefixLength(list.slice(0, i + 1), false, ids);
        spans.push({ start, end, role: list[i]!.role });
      }
    } catch (err) {
      if (err instanceof SequenceInputError) return err;
      return new SequenceInputError('messages', `the chat template failed to render: ${(err as Error).message}`);
    }
    const targets = new Uint8Array(ids.length);
    const masked = new Set(opts.maskRoles);
    if (opts.scope === 'all') targets.fill(1, 1);
    for (const s of spans) {
      if (masked.has(s.role)) targets.fill(0, s.start, s.end);
      else if (opts.scope === 'response' && s.role === 'assistant') targets.fill(1, s.start, s.end);
    }
    if (!targets.includes(1)) {
      return new SequenceInputError(
        'messages',
        'no tokens to score: no assistant message (use scope all to score every token)',
      );
    }
    return { ids, targets, truncated: false };
  }

  /** Tokens in the render of `prefix`, checked to be a prefix of the whole conversation's tokens. */
  #prefixLength(prefix: ChatMessage[], generationPrompt: boolean, whole: readonly number[]): number {
    if (prefix.length === 0 && !generationPrompt) return 0;
    const ids = this.#ids(this.#render(prefix, generationPrompt), false);
    if (ids.length > whole.length || ids.some((id, i) => id !== whole[i])) {
      throw new SequenceInputError(
        'messages',
        'the chat template does not tokenize message by message (a prefix of the conversation is not a prefix of its tokens)',
      );
    }
    return ids.length;
  }

  #fit(seq: EncodedSequence, opts: SequenceOptions, field: string): EncodedSequence | SequenceInputError {
    let { ids, targets } = seq;
    const n = ids.length;
    if (n > this.maxLength) {
      if (opts.overflow === 'refuse') {
        return new SequenceInputError(
          field,
          `${n} tokens exceed the context of ${this.maxLength} (set overflow to left or right to truncate)`,
        );
      }
      const from = opts.overflow === 'left' ? n - this.maxLength : 0;
      ids = ids.slice(from, from + this.maxLength);
      targets = targets.slice(from, from + this.maxLength);
      targets[0] = 0;
    }
    if (!targets.includes(1)) return new SequenceInputError(field, 'no tokens left to score after truncation');
    return { ids, targets, truncated: n > this.maxLength };
  }
}
