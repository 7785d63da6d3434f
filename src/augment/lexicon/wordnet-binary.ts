/**
 * A compact binary form of the parsed WordNet tables, read in one go and used in place: no per-lemma
 * objects are built at load, lookups go through a hash table stored in the file. Parsing the text files
 * costs ~0.4-1 s (plus garbage collection) on every run; reading this file costs milliseconds.
 *
 * Layout: "DWNB", u32 format version, u32 header length, header JSON ({ source, sections }), then each
 * section (a byte or u32 array) at a 4-byte-aligned offset. All strings sit in one latin1 blob (the text
 * files are read as latin1, so every char is one byte) addressed by string number, each with the number
 * of its lowercase form (`stringLower`), so synonyms are deduplicated by number without building strings.
 * Per POS: synset -> lemma string numbers, the lemma keys in code-unit order with their synset numbers,
 * and an open-addressing table (FNV-1a, linear probing) from a key's hash to its position.
 * Native byte order: the file is a cache for this machine, and the header says which order it used.
 */
import os from 'node:os';
import { WORDNET_POS, type WordNetPos, type WordNetTables } from './wordnet-tables.ts';

const MAGIC = 'DWNB';
export const WORDNET_BINARY_FORMAT = 2;

interface Header {
  source: string;
  endianness: string;
  sections: Record<string, [offset: number, length: number]>;
}

/** Serializes `tables` (every POS); `source` names what they were parsed from, checked on read. */
export function encodeWordNet(tables: WordNetTables, source: string): Buffer {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      for (let i = 0; i < s.length; i++)
        if (s.charCodeAt(i) > 255) throw new Error(`WordNet string outside latin1: ${JSON.stringify(s)}`);
      id = strings.length;
      strings.push(s);
      ids.set(s, id);
    }
    return id;
  };

  const arrays: Record<string, Uint32Array | Uint8Array> = {};
  for (const pos of WORDNET_POS) {
    const count = tables.synsetCount(pos);
    const start = new Uint32Array(count + 1);
    const words: number[] = [];
    for (let id = 0; id < count; id++) {
      for (const lemma of tables.synsetLemmas(pos, id)) words.push(intern(lemma));
      start[id + 1] = words.length;
    }
    arrays[`${pos}.synsetStart`] = start;
    arrays[`${pos}.synsetWords`] = Uint32Array.from(words);

    const keys = [...tables.keys(pos)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const keyString = new Uint32Array(keys.length);
    const senseStart = new Uint32Array(keys.length + 1);
    const senses: number[] = [];
    keys.forEach((key, k) => {
      keyString[k] = intern(key);
      senses.push(...tables.senses(pos, key)!);
      senseStart[k + 1] = senses.length;
    });
    arrays[`${pos}.keyString`] = keyString;
    arrays[`${pos}.keySlots`] = hashSlots(keys);
    arrays[`${pos}.senseStart`] = senseStart;
    arrays[`${pos}.senses`] = Uint32Array.from(senses);
  }
  // Interning appends the lowercase forms that are not strings yet; those are their own lowercase form.
  const lower: number[] = [];
  for (let id = 0; id < strings.length; id++) lower.push(intern(strings[id]!.toLowerCase()));
  arrays.stringLower = Uint32Array.from(lower);
  const stringStart = new Uint32Array(strings.length + 1);
  let bytes = 0;
  strings.forEach((s, i) => (stringStart[i + 1] = bytes += s.length));
  arrays.stringStart = stringStart;
  arrays.stringBytes = Buffer.from(strings.join(''), 'latin1');

  const header: Header = { source, endianness: os.endianness(), sections: {} };
  let offset = 0;
  for (const [name, arr] of Object.entries(arrays)) {
    header.sections[name] = [offset, arr.length];
    offset = align4(offset + arr.byteLength);
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const base = align4(12 + headerBytes.length);
  const out = Buffer.alloc(base + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(WORDNET_BINARY_FORMAT, 4);
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 12);
  for (const [name, arr] of Object.entries(arrays)) {
    const [at] = header.sections[name]!;
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), base + at);
  }
  return out;
}

/** The tables in `file`, or why they cannot be used (wrong format, other source, truncated). */
export function decodeWordNet(file: Buffer, source: string): BinaryWordNet | string {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== MAGIC) return 'not a WordNet binary file';
  if (file.readUInt32LE(4) !== WORDNET_BINARY_FORMAT) return `format ${file.readUInt32LE(4)}`;
  const headerLength = file.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(file.toString('utf8', 12, 12 + headerLength)) as Header;
  } catch {
    return 'unreadable header';
  }
  if (header.source !== source) return `built from ${header.source}`;
  if (header.endianness !== os.endianness()) return `byte order ${header.endianness}`;
  // Typed-array views need a 4-byte-aligned start; a pooled Buffer may not give one.
  const bytes = file.byteOffset % 4 === 0 ? file : Buffer.from(file);
  const base = align4(12 + headerLength);
  const view = (name: string, wide: boolean): Uint32Array | Uint8Array => {
    const section = header.sections[name];
    if (!section) throw new RangeError(`missing section ${name}`);
    const [at, length] = section;
    const end = base + at + length * (wide ? 4 : 1);
    if (end > bytes.length) throw new RangeError(`section ${name} runs past the end of the file`);
    return wide
      ? new Uint32Array(bytes.buffer, bytes.byteOffset + base + at, length)
      : new Uint8Array(bytes.buffer, bytes.byteOffset + base + at, length);
  };
  try {
    const perPos = {} as Record<WordNetPos, PosSections>;
    for (const pos of WORDNET_POS) {
      perPos[pos] = {
        synsetStart: view(`${pos}.synsetStart`, true) as Uint32Array,
        synsetWords: view(`${pos}.synsetWords`, true) as Uint32Array,
        keyString: view(`${pos}.keyString`, true) as Uint32Array,
        keySlots: view(`${pos}.keySlots`, true) as Uint32Array,
        senseStart: view(`${pos}.senseStart`, true) as Uint32Array,
        senses: view(`${pos}.senses`, true) as Uint32Array,
      };
    }
    const stringStart = view('stringStart', true) as Uint32Array;
    const stringLower = view('stringLower', true) as Uint32Array;
    if (stringLower.length !== stringStart.length - 1) throw new RangeError('section stringLower has the wrong length');
    for (const pos of WORDNET_POS) {
      const slots = perPos[pos].keySlots.length;
      if (slots === 0 || (slots & (slots - 1)) !== 0)
        throw new RangeError(`section ${pos}.keySlots is not a power of 2`);
    }
    const stringBytes = view('stringBytes', false) as Uint8Array;
    return new BinaryWordNet(
      perPos,
      stringStart,
      stringLower,
      Buffer.from(stringBytes.buffer, stringBytes.byteOffset, stringBytes.length),
    );
  } catch (err) {
    return (err as Error).message;
  }
}

interface PosSections {
  synsetStart: Uint32Array;
  synsetWords: Uint32Array;
  keyString: Uint32Array;
  keySlots: Uint32Array;
  senseStart: Uint32Array;
  senses: Uint32Array;
}

export class BinaryWordNet implements WordNetTables {
  readonly #pos: Record<WordNetPos, PosSections>;
  readonly #stringStart: Uint32Array;
  readonly #stringLower: Uint32Array;
  readonly #stringBytes: Buffer;
  /**
   * strings decoded so far, by number: a lemma of many synsets is decoded once, and only the lemmas looked at
   * are (decoding the whole 2 MB blob up front costs a short run ~10 ms, most of it faulting in fresh memory)
   */
  readonly #decoded = new Map<number, string>();
  /** per lowercase string number: the last lemmaSynonyms call that met it (deduplication without a Set) */
  #seen: Uint32Array | undefined;
  #call = 0;

  constructor(
    pos: Record<WordNetPos, PosSections>,
    stringStart: Uint32Array,
    stringLower: Uint32Array,
    stringBytes: Buffer,
  ) {
    this.#pos = pos;
    this.#stringStart = stringStart;
    this.#stringLower = stringLower;
    this.#stringBytes = stringBytes;
  }

  synsetCount(pos: WordNetPos): number {
    return this.#pos[pos].synsetStart.length - 1;
  }

  synsetLemmas(pos: WordNetPos, id: number): readonly string[] {
    const { synsetStart, synsetWords } = this.#pos[pos];
    const out: string[] = [];
    for (let k = synsetStart[id]!; k < synsetStart[id + 1]!; k++) out.push(this.#string(synsetWords[k]!));
    return out;
  }

  senses(pos: WordNetPos, key: string): readonly number[] | undefined {
    const k = this.#find(pos, key, hashKey(key));
    if (k < 0) return undefined;
    const { senseStart, senses } = this.#pos[pos];
    return Array.from(senses.subarray(senseStart[k]!, senseStart[k + 1]!));
  }

  /**
   * What WordNetIndex.synonyms computes from senses() and synsetLemmas(), by string number: lemmas sharing
   * a synset with `key` over `poses` in that order, most frequent sense first, the first casing of each
   * lowercase form deciding (a capitalized lemma hides its lowercase twin), `key` itself left out, and only
   * lemmas without capitals returned.
   */
  lemmaSynonyms(key: string, poses: readonly WordNetPos[]): string[] {
    const out: string[] = [];
    const hash = hashKey(key);
    if (hash < 0) return out;
    const lower = this.#stringLower;
    const seen = (this.#seen ??= new Uint32Array(lower.length));
    const call = ++this.#call;
    let started = false;
    for (const pos of poses) {
      const k = this.#find(pos, key, hash);
      if (k < 0) continue;
      const { keyString, senseStart, senses, synsetStart, synsetWords } = this.#pos[pos];
      if (!started) {
        seen[lower[keyString[k]!]!] = call;
        started = true;
      }
      for (let s = senseStart[k]!; s < senseStart[k + 1]!; s++) {
        const synset = senses[s]!;
        for (let w = synsetStart[synset]!; w < synsetStart[synset + 1]!; w++) {
          const id = synsetWords[w]!;
          const low = lower[id]!;
          if (seen[low] === call) continue;
          seen[low] = call;
          if (low === id) out.push(this.#string(id));
        }
      }
    }
    return out;
  }

  *keys(pos: WordNetPos): Iterable<string> {
    for (const id of this.#pos[pos].keyString) yield this.#string(id);
  }

  #string(id: number): string {
    let s = this.#decoded.get(id);
    if (s === undefined) {
      s = this.#stringBytes.toString('latin1', this.#stringStart[id]!, this.#stringStart[id + 1]!);
      this.#decoded.set(id, s);
    }
    return s;
  }

  /** Position of `key` among the keys of `pos`, or -1. */
  #find(pos: WordNetPos, key: string, hash: number): number {
    if (hash < 0) return -1;
    const { keyString, keySlots } = this.#pos[pos];
    const mask = keySlots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = keySlots[i]!;
      if (slot === 0) return -1;
      if (this.#equals(key, keyString[slot - 1]!)) return slot - 1;
    }
  }

  /** Whether string `id` is `key` (latin1: byte = code unit). */
  #equals(key: string, id: number): boolean {
    const bytes = this.#stringBytes;
    const start = this.#stringStart[id]!;
    if (this.#stringStart[id + 1]! - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== bytes[start + i]) return false;
    return true;
  }
}

/** FNV-1a over the code units; -1 when one is outside latin1, since no key can then match. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 255) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** Open-addressing table over `keys`: at least twice as many slots as keys, slot = key position + 1. */
function hashSlots(keys: readonly string[]): Uint32Array {
  let size = 1;
  while (size < keys.length * 2) size *= 2;
  const slots = new Uint32Array(size);
  keys.forEach((key, k) => {
    let i = hashKey(key) & (size - 1);
    while (slots[i] !== 0) i = (i + 1) & (size - 1);
    slots[i] = k + 1;
  });
  return slots;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
