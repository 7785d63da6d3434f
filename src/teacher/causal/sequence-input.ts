/** What a causal-LM teacher scores: corpus rows, the options that pick scored positions, and per-row errors. */

export interface ChatMessage {
  role: string;
  content: string;
}

/** One corpus row: a prompt and its response, a chat rendered by the tokenizer's template, or plain text. */
/** What a generator writes from: a prompt (with the tokenizer's special tokens) or a chat to continue. */
export type GenerateInput = { prompt: string } | { messages: ChatMessage[] };

export type SequenceInput = { prompt: string; response: string } | { messages: ChatMessage[] } | { text: string };

export interface SequenceOptions {
  /**
   * `response` (default): only response / assistant tokens are targets (plain `text` rows have no
   * response, so all their tokens are); `all`: every token after the first.
   * @default 'response'
   */
  scope: 'response' | 'all';
  /** roles whose message tokens are never targets, whatever the scope (e.g. `tool` outputs) */
  maskRoles: readonly string[];
  /**
   * A row longer than the context: `refuse` (default) gives the row an error; `left` drops its first
   * tokens, `right` its last, and sets `truncated`.
   * @default 'refuse'
   */
  overflow: 'refuse' | 'left' | 'right';
  /** append the tokenizer's eos token to a {prompt, response} row's response, so ending is learnt too */
  appendEos: boolean;
}

export const DEFAULT_SEQUENCE_OPTIONS: SequenceOptions = Object.freeze({
  scope: 'response',
  maskRoles: [],
  overflow: 'refuse',
  appendEos: true,
});

export const KNOWN_ROLES: ReadonlySet<string> = new Set([
  'system',
  'developer',
  'user',
  'assistant',
  'tool',
  'ipython',
]);

/** A row the teacher will not score, and which field made it so. */
export class SequenceInputError {
  readonly field: string;
  readonly message: string;

  constructor(field: string, message: string) {
    this.field = field;
    this.message = message;
  }
}

export interface EncodedSequence {
  ids: number[];
  /** targets[t] = 1 when token t is a target; the row for position t - 1 predicts it */
  targets: Uint8Array;
  truncated: boolean;
}

/** Target tokens -> scored positions: position t is scored when token t+1 is a target. */
export function scoredPositions(targets: Uint8Array): Uint8Array {
  const scored = new Uint8Array(targets.length);
  for (let t = 0; t + 1 < targets.length; t++) scored[t] = targets[t + 1]!;
  return scored;
}
