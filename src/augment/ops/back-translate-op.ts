/**
 * Back-translation (Sennrich et al. 2016; Xie et al. 2020 "Unsupervised Data Augmentation" for sampling):
 * source -> pivot(s) -> source through a Translator, sampling with temperature / top-k for diversity.
 * Every hop translates the whole batch in one call; each text samples from its own rng stream.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import type { SamplingOptions } from '../model-interfaces.ts';
import { ok, skipped, type AugmentOp, type OpContext, type OpItem, type OpResult } from '../op.ts';

export interface BackTranslateParams {
  source: string;
  /** pivot languages in order, e.g. ['de'] or ['fr', 'de'] */
  pivots: string[];
  temperature: number;
  topK: number;
  maxNewTokens: number;
}

export class BackTranslateOp implements AugmentOp {
  readonly name = 'back-translate';
  readonly params: Readonly<BackTranslateParams>;
  readonly needs = ['translator'] as const;
  readonly preservesLabel = true;

  constructor(params: Partial<BackTranslateParams> = {}) {
    const pivots = params.pivots ?? ['de'];
    if (pivots.length === 0 || pivots.some((p) => typeof p !== 'string' || p === ''))
      throw new RangeError(
        `Expected \`pivots\` to be a non-empty list of language codes, got ${JSON.stringify(pivots)}`,
      );
    const temperature = params.temperature ?? 0.8;
    if (!(temperature >= 0 && Number.isFinite(temperature)))
      throw new RangeError(`Expected \`temperature\` >= 0, got ${temperature}`);
    const topK = params.topK ?? 20;
    if (!(Number.isInteger(topK) && topK >= 0))
      throw new RangeError(`Expected \`topK\` to be an integer >= 0, got ${topK}`);
    const maxNewTokens = params.maxNewTokens ?? 128;
    if (!(Number.isInteger(maxNewTokens) && maxNewTokens > 0))
      throw new RangeError(`Expected \`maxNewTokens\` to be an integer > 0, got ${maxNewTokens}`);
    this.params = Object.freeze({
      source: params.source ?? 'en',
      pivots: [...pivots],
      temperature,
      topK,
      maxNewTokens,
    });
  }

  async apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const translator = ctx.translator;
    if (!translator) throw new Error('back-translate needs a Translator in the op context');
    const results: (OpResult | undefined)[] = items.map((it) =>
      it.text.wordCount === 0 ? skipped('empty') : undefined,
    );
    const live = items.map((_, i) => i).filter((i) => !results[i]);
    let texts = live.map((i) => items[i]!.text.text);
    const chain = [this.params.source, ...this.params.pivots, this.params.source];
    const sampling: SamplingOptions = {
      temperature: this.params.temperature,
      topK: this.params.topK,
      maxNewTokens: this.params.maxNewTokens,
    };
    try {
      for (let hop = 0; hop + 1 < chain.length && texts.length > 0; hop++) {
        const requests = live.map((i, k) => ({ text: texts[k]!, rng: rng.fork(items[i]!.key).fork(hop) }));
        texts = await translator.translate(requests, { from: chain[hop]!, to: chain[hop + 1]! }, sampling);
      }
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return items.map((_, i) => results[i] ?? skipped('model-failed', detail));
    }
    live.forEach((i, k) => {
      const item = items[i]!;
      const out = (texts[k] ?? '').trim();
      if (out === '') results[i] = skipped('no-candidates', 'empty translation');
      // a model's unknown-word marker is a lost word, not a paraphrase
      else if (/<unk>|\[UNK\]/i.test(out))
        results[i] = skipped('no-candidates', 'the translation holds an unknown-word token');
      else results[i] = ok(item.text.rewrite(out), item, { pivots: this.params.pivots });
    });
    return results as OpResult[];
  }
}
