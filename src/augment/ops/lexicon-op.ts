/**
 * Knowledge injection: replace terms found in a user lexicon by related terms (domain vocabulary that
 * WordNet lacks). Longest match first, whole words, case-insensitive; `types` restricts the relations used.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { normalizeTerm, type RelatedTerm, type UserLexicon } from '../lexicon/user-lexicon.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { matchCase, type TokenizedText } from '../text/tokenized-text.ts';
import { checkShare, edaCount } from './word-choice.ts';

export interface LexiconParams {
  /** share of matched terms replaced: n = max(1, floor(alpha * matches)) */
  alpha: number;
  /** only relations of these types (untyped relations count as type "related") */
  types?: string[];
}

interface Match {
  start: number;
  end: number;
  related: readonly RelatedTerm[];
}

export class LexiconOp extends SyncOp {
  readonly name = 'lexicon';
  readonly params: Readonly<LexiconParams>;
  readonly preservesLabel = true;
  readonly #lexicon: UserLexicon;

  constructor(lexicon: UserLexicon, params: Partial<LexiconParams> = {}) {
    super();
    const p: LexiconParams = { alpha: checkShare('alpha', params.alpha ?? 1) };
    if (params.types) p.types = [...params.types];
    this.params = Object.freeze(p);
    this.#lexicon = lexicon;
  }

  applyOne(item: OpItem, rng: SeededRng): OpResult {
    const text = item.text;
    if (text.wordCount === 0) return skipped('empty');
    const matches = this.#matches(text);
    if (matches.length === 0) return skipped('no-candidates', 'no lexicon term in the text');
    const chosen = rng.shuffle(matches).slice(0, edaCount(this.params.alpha, matches.length));
    chosen.sort((a, b) => b.start - a.start);
    let value = text;
    const used: RelatedTerm[] = [];
    for (const m of chosen) {
      const r = rng.pick(m.related);
      used.unshift(r);
      value = value.replaceSpan(m.start, m.end, matchCase(text.tokens[m.start]!.text, r.term));
    }
    return ok(value, item, { replacements: used });
  }

  /** Non-overlapping matches, left to right, longest first; a match spans word tokens and inner hyphens only. */
  #matches(text: TokenizedText): Match[] {
    const out: Match[] = [];
    const tokens = text.tokens;
    let i = 0;
    while (i < tokens.length) {
      let found: Match | undefined;
      if (tokens[i]!.word) {
        const words: string[] = [];
        for (let j = i; j < tokens.length && words.length < this.#lexicon.maxWords && tokens[j]!.word; j++) {
          if (j > i && tokens[j]!.pre === '') break;
          words.push(tokens[j]!.text);
          const related = this.#allowed(this.#lexicon.lookup(normalizeTerm(words.join(' '))));
          if (related) found = { start: i, end: j + 1, related };
        }
      }
      if (found) {
        out.push(found);
        i = found.end;
      } else i++;
    }
    return out;
  }

  #allowed(related: readonly RelatedTerm[] | undefined): readonly RelatedTerm[] | undefined {
    if (!related) return undefined;
    const types = this.params.types;
    const kept = types ? related.filter((r) => types.includes(r.type ?? 'related')) : related;
    return kept.length > 0 ? kept : undefined;
  }
}
