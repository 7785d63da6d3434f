/** A CausalGenerator as the TextGenerator the `generate` op calls (src/augment/model-interfaces.ts). */
import type { GeneratedText, TextGenerator } from '../../augment/index.ts';
import type { CausalGenerator } from './causal-generator.ts';
import { SequenceInputError } from './sequence-input.ts';

export function textGenerator(generator: CausalGenerator): TextGenerator {
  return {
    fingerprint: generator.fingerprint,
    chat: generator.chatTemplate,
    async generate(requests, settings) {
      const results = await generator.generate(requests, settings);
      return results.map((r): GeneratedText | { error: string } =>
        r instanceof SequenceInputError
          ? { error: `${r.field}: ${r.message}` }
          : {
              text: r.text,
              finish: r.finish,
              tokens: r.tokenIds.length,
              logprob: r.logprobs.reduce((a, b) => a + b, 0),
            },
      );
    },
  };
}
