/**
 * Teacher-guided word substitution (TextFooler, Jin et al. 2020; PWWS, Ren et al. 2019):
 * 1. word importance = drop in the teacher's confidence for its predicted label when the word is deleted;
 * 2. most important words first, try POS-consistent WordNet synonyms and keep the one that lowers that
 *    confidence most, until the label flips or `maxShare` of the words changed.
 * Scorer calls are batched: all originals in one call, all deletions of the batch in one call, then one call
 * per greedy round holding every still-active text's candidates (each text's candidates scored together).
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import type { TextInput } from '../../core/types.ts';
import { sharedWordNet, type WordNetIndex } from '../lexicon/wordnet-index.ts';
import type { Scorer } from '../model-interfaces.ts';
import { ok, skipped, type AugmentOp, type OpContext, type OpItem, type OpResult } from '../op.ts';
import { brillTagger, type PosTagger } from '../text/pos-tagger.ts';
import { PosSynonyms } from '../lexicon/pos-synonyms.ts';
import { matchCase, type TokenizedText } from '../text/tokenized-text.ts';
import { argmax } from '../../core/soft-labels.ts';
import { checkCount, checkShare, contentWords, edaCount, plainSynonyms } from './word-choice.ts';

export interface AdversarialParams {
  /** most words substituted, as a share of the text's words (at least one) */
  maxShare: number;
  /** synonyms tried per word */
  maxCandidates: number;
}

interface State {
  n: number;
  label: number;
  start: number;
  confidence: number;
  value: TokenizedText;
  /** content words with synonyms, most important first */
  queue: { index: number; synonyms: readonly string[] }[];
  budget: number;
  substitutions: number;
  flipped: boolean;
}

export class AdversarialOp implements AugmentOp {
  readonly name = 'adversarial';
  readonly params: Readonly<AdversarialParams>;
  readonly needs = ['scorer'] as const;
  /** synonyms keep the meaning (and the gold label) while aiming to flip the teacher */
  readonly preservesLabel = true;
  readonly #tagger: PosTagger;
  readonly #synonyms: PosSynonyms;

  constructor(params: Partial<AdversarialParams> = {}, deps: { wordnet?: WordNetIndex; tagger?: PosTagger } = {}) {
    this.params = Object.freeze({
      maxShare: checkShare('maxShare', params.maxShare ?? 0.2),
      maxCandidates: checkCount('maxCandidates', params.maxCandidates ?? 10),
    });
    this.#tagger = deps.tagger ?? brillTagger();
    this.#synonyms = new PosSynonyms(deps.wordnet ?? sharedWordNet(), this.#tagger);
  }

  async apply(items: readonly OpItem[], _rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const scorer = ctx.scorer;
    if (!scorer) throw new Error('adversarial needs a Scorer in the op context');
    const results: (OpResult | undefined)[] = new Array(items.length);
    try {
      return await this.#run(items, scorer, results);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return items.map((_, i) => results[i] ?? skipped('model-failed', detail));
    }
  }

  async #run(items: readonly OpItem[], scorer: Scorer, results: (OpResult | undefined)[]): Promise<OpResult[]> {
    const candidates = items.map((item, n) => {
      if (item.text.wordCount === 0) return void (results[n] = skipped('empty'));
      const list = this.#candidates(item.text);
      if (list.length === 0) return void (results[n] = skipped('no-candidates'));
      return list;
    });
    const live = items.map((_, n) => n).filter((n) => !results[n]);
    if (live.length === 0) return results as OpResult[];

    const base = await score(
      scorer,
      live.map((n) => input(items[n]!, items[n]!.text)),
    );
    // Leave-one-out: every candidate word of every live text, one call.
    const deletions: TextInput[] = [];
    for (const n of live)
      for (const c of candidates[n]!) deletions.push(input(items[n]!, items[n]!.text.remove(c.index)));
    const deleted = await score(scorer, deletions);
    const states: State[] = [];
    let k = 0;
    live.forEach((n, j) => {
      const probs = base[j]!;
      const label = argmax(probs);
      const confidence = probs[label]!;
      const ranked = candidates[n]!.map((c) => ({ ...c, drop: confidence - deleted[k++]![label]! }));
      // stable: ties keep text order
      ranked.sort((a, b) => b.drop - a.drop);
      states.push({
        n,
        label,
        start: confidence,
        confidence,
        value: items[n]!.text,
        queue: ranked,
        budget: edaCount(this.params.maxShare, items[n]!.text.wordCount),
        substitutions: 0,
        flipped: false,
      });
    });

    // Greedy rounds: each active text tries its next most important word.
    for (let active = states; active.length > 0;) {
      const tries: { state: State; index: number; word: string }[] = [];
      for (const s of active) {
        const next = s.queue.shift()!;
        const original = s.value.tokens[next.index]!.text;
        for (const syn of next.synonyms.slice(0, this.params.maxCandidates))
          tries.push({ state: s, index: next.index, word: matchCase(original, syn) });
      }
      const probs = await score(
        scorer,
        tries.map((t) => input(items[t.state.n]!, t.state.value.replace(t.index, t.word))),
      );
      const best = new Map<State, { index: number; word: string; p: Float32Array }>();
      tries.forEach((t, i) => {
        const p = probs[i]!;
        const cur = best.get(t.state);
        if (!cur || p[t.state.label]! < cur.p[t.state.label]!) best.set(t.state, { index: t.index, word: t.word, p });
      });
      for (const [s, b] of best) {
        if (b.p[s.label]! >= s.confidence) continue;
        s.value = s.value.replace(b.index, b.word);
        s.confidence = b.p[s.label]!;
        s.substitutions++;
        s.flipped = argmax(b.p) !== s.label;
      }
      active = active.filter((s) => !s.flipped && s.substitutions < s.budget && s.queue.length > 0);
    }

    for (const s of states) {
      const item = items[s.n]!;
      results[s.n] =
        s.substitutions === 0
          ? skipped('no-change', 'no synonym lowered the teacher confidence')
          : ok(s.value, item, {
              flipped: s.flipped,
              label: s.label,
              confidenceBefore: s.start,
              confidenceAfter: s.confidence,
              substitutions: s.substitutions,
            });
    }
    return results as OpResult[];
  }

  /** Content words with single-word synonyms of the POS (and inflection) the tagger gives them. */
  #candidates(text: TokenizedText): { index: number; synonyms: readonly string[] }[] {
    const tags = this.#tagger.tag(text.tokens.map((t) => t.text));
    const out: { index: number; synonyms: readonly string[] }[] = [];
    for (const i of contentWords(text)) {
      const synonyms = plainSynonyms(this.#synonyms.lookup(text.tokens[i]!.text, tags[i]!)).filter(
        (s) => !s.includes(' '),
      );
      if (synonyms.length > 0) out.push({ index: i, synonyms });
    }
    return out;
  }
}

function input(item: OpItem, value: TokenizedText): TextInput {
  return item.textPair === undefined ? { text: value.text } : { text: value.text, textPair: item.textPair };
}

async function score(scorer: Scorer, inputs: TextInput[]): Promise<Float32Array[]> {
  if (inputs.length === 0) return [];
  const out = await scorer.score(inputs);
  if (out.length !== inputs.length) throw new Error(`Scorer returned ${out.length} rows for ${inputs.length} inputs`);
  return out;
}
