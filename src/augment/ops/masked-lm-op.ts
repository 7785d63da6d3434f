/**
 * Masked-LM contextual replacement (TinyBERT, Jiao et al. 2020, "TinyBERT: Distilling BERT for Natural
 * Language Understanding", data augmentation procedure): each word is picked with probability p, masked
 * alone in the original sentence, and replaced by one of the masked LM's top-K fills.
 * All masked sentences of a batch go to the FillMasker in one call.
 * TinyBERT falls back to GloVe neighbours for multi-piece words; here every word goes through the masked LM.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { ok, skipped, type AugmentOp, type OpContext, type OpItem, type OpResult } from '../op.ts';
import { matchCase } from '../text/tokenized-text.ts';
import { checkCount, checkShare, contentWords } from './word-choice.ts';

export interface MaskedLmParams {
  /** probability each content word is replaced (TinyBERT: 0.4) */
  p: number;
  /** fills considered per masked word (TinyBERT: 15) */
  topK: number;
}

const FILL_WORD = /^[\p{L}\p{N}][\p{L}\p{N}'’-]*$/u;

export class MaskedLmOp implements AugmentOp {
  readonly name = 'masked-lm';
  readonly params: Readonly<MaskedLmParams>;
  readonly needs = ['fillMasker'] as const;
  /** a contextual fill can turn "good" into "bad" */
  readonly preservesLabel = false;

  constructor(params: Partial<MaskedLmParams> = {}) {
    this.params = Object.freeze({ p: checkShare('p', params.p ?? 0.4), topK: checkCount('topK', params.topK ?? 15) });
  }

  async apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const masker = ctx.fillMasker;
    if (!masker) throw new Error('masked-lm needs a FillMasker in the op context');
    const results: OpResult[] = new Array(items.length);
    const picks: { item: number; index: number; rng: SeededRng }[] = [];
    const masked: string[] = [];
    items.forEach((item, n) => {
      const text = item.text;
      if (text.wordCount === 0) return (results[n] = skipped('empty'));
      const words = contentWords(text);
      if (words.length === 0) return (results[n] = skipped('no-candidates'));
      const r = rng.fork(item.key);
      const chosen = words.filter(() => r.next() < this.params.p);
      if (chosen.length === 0) return (results[n] = skipped('no-change', `no word drawn at p = ${this.params.p}`));
      for (const index of chosen) {
        picks.push({ item: n, index, rng: r.fork(index) });
        masked.push(text.replace(index, masker.maskToken).text);
      }
    });
    let fills: Awaited<ReturnType<typeof masker.fill>> = [];
    if (masked.length > 0) {
      try {
        fills = await masker.fill(masked, this.params.topK);
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        return items.map((_, n) => results[n] ?? skipped('model-failed', detail));
      }
    }
    const replacements = new Map<number, { index: number; word: string }[]>();
    picks.forEach((pick, k) => {
      const original = items[pick.item]!.text.tokens[pick.index]!.text;
      const options = (fills[k] ?? [])
        .map((c) => c.token.trim())
        .filter((t) => FILL_WORD.test(t) && t.toLowerCase() !== original.toLowerCase());
      if (options.length === 0) return;
      const list = replacements.get(pick.item) ?? [];
      list.push({ index: pick.index, word: matchCase(original, pick.rng.pick(options)) });
      replacements.set(pick.item, list);
    });
    return items.map((item, n) => {
      if (results[n]) return results[n]!;
      const list = replacements.get(n);
      if (!list) return skipped('no-candidates', 'the masked LM offered no word different from the original');
      let value = item.text;
      for (const r of list.sort((a, b) => b.index - a.index)) value = value.replace(r.index, r.word);
      return ok(value, item, { replaced: list.length });
    });
  }
}
