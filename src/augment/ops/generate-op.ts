/**
 * Teacher generations as data: a causal LM writes a response from a prompt built around each text
 * (`template`, where `{text}` stands for the text). Chat models get it as a user message (after an
 * optional system message) through their chat template; others as a plain prompt. Each variant of an
 * example is its own item, so N responses per prompt come from the recipe's `variants`, each drawn from
 * its own rng stream. Sequence-level distillation (Kim & Rush 2016) trains on such responses; the
 * paraphrase recipe rewrites classification texts with it.
 */
import { type GenerationParams, resolveGenerationParams } from '../../core/generation-params.ts';
import type { SeededRng } from '../../core/seeded-rng.ts';
import type { GenerationPrompt } from '../model-interfaces.ts';
import { ok, skipped, type AugmentOp, type OpContext, type OpItem, type OpResult } from '../op.ts';

export const TEXT_SLOT = '{text}';

export interface GenerateOpParams extends GenerationParams {
  /** the prompt, with `{text}` where the item's text goes */
  template: string;
  /** a system message for chat models */
  system?: string;
  /** `chat`: render with the chat template (refused without one); `plain`: the prompt as is; `auto`: chat when the model has a template */
  format: 'auto' | 'chat' | 'plain';
  /** true when the response keeps the original's label (a paraphrase); a free response gets no gold label */
  keepLabel: boolean;
}

const GENERATE_DEFAULTS = { maxNewTokens: 64, temperature: 0.8, topP: 0.95 } as const;

export class GenerateOp implements AugmentOp {
  readonly name = 'generate';
  readonly params: Readonly<GenerateOpParams>;
  readonly needs = ['generator'] as const;
  readonly preservesLabel: boolean;

  constructor(params: Partial<GenerateOpParams> = {}) {
    const { template = TEXT_SLOT, system, format = 'auto', keepLabel = false, ...decoding } = params;
    if (typeof template !== 'string' || !template.includes(TEXT_SLOT))
      throw new RangeError(
        `Expected \`template\` to be a string holding ${TEXT_SLOT}, got ${JSON.stringify(template)}`,
      );
    if (system !== undefined && (typeof system !== 'string' || system.trim() === ''))
      throw new RangeError('Expected `system` to be a non-empty string');
    if (!['auto', 'chat', 'plain'].includes(format))
      throw new RangeError(`Expected \`format\` to be auto, chat or plain, got ${JSON.stringify(format)}`);
    if (typeof keepLabel !== 'boolean') throw new RangeError('Expected `keepLabel` to be true or false');
    let settings: GenerationParams;
    try {
      settings = resolveGenerationParams({ ...GENERATE_DEFAULTS, ...decoding });
    } catch (err) {
      throw new RangeError((err as Error).message);
    }
    this.params = Object.freeze({ template, ...(system ? { system } : {}), format, keepLabel, ...settings });
    this.preservesLabel = keepLabel;
  }

  async apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const generator = ctx.generator;
    if (!generator) throw new Error('generate needs a TextGenerator in the op context');
    const { template, system, format, keepLabel: _k, ...settings } = this.params;
    if (format === 'chat' && !generator.chat)
      return items.map(() => skipped('model-failed', 'format chat: the model has no chat template'));
    const chat = format === 'chat' || (format === 'auto' && generator.chat);
    const results: (OpResult | undefined)[] = items.map((it) =>
      it.text.wordCount === 0 ? skipped('empty') : undefined,
    );
    const live = items.map((_, i) => i).filter((i) => !results[i]);
    const prompt = (text: string): GenerationPrompt => {
      const user = template.split(TEXT_SLOT).join(text);
      if (!chat) return { prompt: user };
      const messages = system ? [{ role: 'system', content: system }] : [];
      return { messages: [...messages, { role: 'user', content: user }] };
    };
    let outputs: Awaited<ReturnType<typeof generator.generate>>;
    try {
      outputs = await generator.generate(
        live.map((i) => ({ input: prompt(items[i]!.text.text), rng: rng.fork(items[i]!.key) })),
        { ...settings, stop: [...settings.stop] },
      );
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return items.map((_, i) => results[i] ?? skipped('model-failed', detail));
    }
    live.forEach((i, k) => {
      const item = items[i]!;
      const out = outputs[k];
      if (!out || 'error' in out) results[i] = skipped('model-failed', out?.error ?? 'no response');
      else if (out.text.trim() === '') results[i] = skipped('no-candidates', 'empty response');
      else
        results[i] = ok(item.text.rewrite(out.text.trim()), item, {
          generator: generator.fingerprint,
          finish: out.finish,
          tokens: out.tokens,
          logprob: Math.round(out.logprob * 1e4) / 1e4,
        });
    });
    return results as OpResult[];
  }
}
