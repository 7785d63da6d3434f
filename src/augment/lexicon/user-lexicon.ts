/**
 * A user lexicon: term -> related terms, optionally typed (e.g. "synonym", "hyponym", "brand").
 * JSON: { "myocardial infarction": ["heart attack", { "term": "MI", "type": "abbreviation" }] }
 * TSV:  term <TAB> related [<TAB> type]   (one pair a line, '#' comments)
 * Terms match case-insensitively on whole words; multi-word terms are allowed on both sides.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { DistilleryError } from '../../core/errors.ts';

export interface RelatedTerm {
  term: string;
  type?: string;
}

/** Lexicons are small: a file bigger than this is a mistake (or an attack), not a lexicon. */
export const DEFAULT_MAX_LEXICON_BYTES = 16 * 1024 * 1024;

export class UserLexicon {
  /** normalized term (lowercase words joined by one space) -> related terms */
  readonly entries: ReadonlyMap<string, readonly RelatedTerm[]>;
  /** longest term, in words */
  readonly maxWords: number;

  constructor(entries: Map<string, RelatedTerm[]>) {
    this.entries = entries;
    let max = 0;
    for (const key of entries.keys()) max = Math.max(max, key.split(' ').length);
    this.maxWords = max;
  }

  /**
   * Only a regular file of at most `maxBytes` is read: a device (/dev/zero), a FIFO or a socket would
   * stall or exhaust the process. `source` names the lexicon in messages instead of its path.
   */
  static fromFile(file: string, opts: { maxBytes?: number; source?: string } = {}): UserLexicon {
    const source = opts.source ?? file;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_LEXICON_BYTES;
    let raw: string;
    let fd: number | undefined;
    try {
      // O_NONBLOCK: opening a FIFO with no writer must not hang; it is refused below as not a regular file.
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      const st = fstatSync(fd);
      if (!st.isFile())
        throw new DistilleryError('INVALID_INPUT', `${source} is not a regular file`, {
          hint: 'a lexicon is a JSON or TSV file',
        });
      if (st.size > maxBytes)
        throw new DistilleryError('INVALID_INPUT', `${source} is over the ${maxBytes} byte limit for a lexicon`, {
          hint: 'split the lexicon, or raise limits.maxLexiconBytes in the config',
        });
      raw = readFileSync(fd, 'utf8');
    } catch (err) {
      if (err instanceof DistilleryError) throw err;
      throw new DistilleryError('NOT_FOUND', `Lexicon file not found: ${source}`, {
        hint: 'pass a JSON or TSV lexicon path',
        cause: err,
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return file.endsWith('.json') ? UserLexicon.fromJson(raw, source) : UserLexicon.fromTsv(raw, source);
  }

  /** An already parsed { term: [related...] } object (an inline lexicon). */
  static fromObject(data: unknown, source = 'lexicon'): UserLexicon {
    return UserLexicon.fromJson(JSON.stringify(data), source);
  }

  static fromJson(raw: string, source = 'lexicon'): UserLexicon {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch (err) {
      throw new DistilleryError('INVALID_INPUT', `${source}: not valid JSON`, {
        hint: 'expected { "term": ["related", ...] }',
        cause: err,
      });
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new DistilleryError('INVALID_INPUT', `${source}: expected an object of term -> related terms`, {
        hint: 'e.g. { "MI": ["heart attack"] }',
      });
    }
    const map = new Map<string, RelatedTerm[]>();
    for (const [term, related] of Object.entries(data)) {
      if (!Array.isArray(related))
        throw new DistilleryError('INVALID_INPUT', `${source}: "${term}" must map to an array`, {
          hint: 'e.g. "MI": ["heart attack"]',
        });
      for (const r of related) {
        if (typeof r === 'string') add(map, term, { term: r }, source);
        else if (r && typeof r === 'object' && typeof (r as RelatedTerm).term === 'string') {
          const t = r as RelatedTerm;
          add(map, term, t.type === undefined ? { term: t.term } : { term: t.term, type: String(t.type) }, source);
        } else
          throw new DistilleryError('INVALID_INPUT', `${source}: bad related term under "${term}"`, {
            hint: 'use a string or { "term": ..., "type": ... }',
          });
      }
    }
    return new UserLexicon(map);
  }

  static fromTsv(raw: string, source = 'lexicon'): UserLexicon {
    const map = new Map<string, RelatedTerm[]>();
    raw.split(/\r?\n/).forEach((line, n) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const [term, related, type] = line.split('\t');
      if (!term?.trim() || !related?.trim()) {
        throw new DistilleryError('INVALID_INPUT', `${source}:${n + 1}: expected "term<TAB>related[<TAB>type]"`, {
          hint: 'separate columns with a tab',
        });
      }
      add(map, term, type?.trim() ? { term: related.trim(), type: type.trim() } : { term: related.trim() }, source);
    });
    return new UserLexicon(map);
  }

  lookup(normalizedTerm: string): readonly RelatedTerm[] | undefined {
    return this.entries.get(normalizedTerm);
  }
}

export const normalizeTerm = (s: string): string => s.normalize('NFC').trim().toLowerCase().split(/\s+/).join(' ');

function add(map: Map<string, RelatedTerm[]>, term: string, related: RelatedTerm, source: string): void {
  const key = normalizeTerm(term);
  if (key === '' || related.term.trim() === '')
    throw new DistilleryError('INVALID_INPUT', `${source}: empty term`, { hint: 'remove empty entries' });
  if (normalizeTerm(related.term) === key) return;
  const list = map.get(key) ?? [];
  if (!list.some((r) => r.term === related.term && r.type === related.type)) list.push(related);
  map.set(key, list);
}
