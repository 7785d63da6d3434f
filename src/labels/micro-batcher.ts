/**
 * Cross-request micro-batching of texts for one classifier teacher: the window, budget and one-call-at-a-
 * time rule of WindowBatcher (window-batcher.ts). It only merges what the labelling gate (gate.ts) hands
 * it; texts are weighed by their estimated tokens and identical texts (or pairs) are computed once.
 */
import { expectOutputPerInput } from '../core/output-count.ts';
import type { OutputSpec, TeacherOutput, TeacherRunner, TextInput } from '../core/types.ts';
import { estimateTokens } from './token-estimate.ts';
import { WindowBatcher, type MicroBatcherOptions } from './window-batcher.ts';

export type { BatchStats, MicroBatcherOptions } from './window-batcher.ts';

export function specKey(spec: OutputSpec): string {
  return JSON.stringify([
    spec.logits,
    spec.temperatures,
    spec.topK ?? null,
    spec.hidden ?? null,
    spec.attentions ?? null,
    spec.encoding,
  ]);
}

const inputKey = (i: TextInput): string =>
  i.textPair === undefined ? `s\u0000${i.text}` : `p\u0000${i.text}\u0000${i.textPair}`;

export class MicroBatcher extends WindowBatcher<TextInput, OutputSpec, TeacherOutput> {
  constructor(runner: TeacherRunner, opts: MicroBatcherOptions) {
    super(
      {
        name: runner.info.name,
        noun: 'texts',
        closedHint: 'retry against another instance or after restart',
        overloadedHint: 'retry after the Retry-After delay, or send fewer texts per request',
        specKey,
        inputKey,
        tokens: (input) => estimateTokens(input, runner.info.maxLength),
        call: async (inputs, spec) => {
          const outputs = await runner.infer(inputs, spec);
          expectOutputPerInput(runner.info.name, outputs.length, inputs.length);
          return { results: outputs, tokens: outputs.reduce((n, o) => n + o.tokens, 0) };
        },
      },
      opts,
    );
  }
}
