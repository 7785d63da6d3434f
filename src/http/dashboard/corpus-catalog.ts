/**
 * Corpora a dashboard user may pick: the files in the configured corpora folders (the same folders
 * POST /v1/jobs resolves `corpus.path` in, searched in the same order) and files uploaded through the
 * form, which land in the first folder's `uploads/`. Ids are paths relative to those folders.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';

export interface CorpusEntry {
  /** relative to a corpora folder, as `corpus.path` takes it: "sst2/dev.jsonl", "uploads/reviews.jsonl" */
  id: string;
  bytes: number;
}

const CORPUS_FILE = /\.(jsonl|csv|tsv|txt)$/;
const UPLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(jsonl|csv|tsv|txt)$/;

export class CorpusCatalog {
  readonly #dirs: readonly string[];

  constructor(corporaDirs: readonly string[]) {
    if (corporaDirs.length === 0) throw new TypeError('Expected at least one corpora folder');
    this.#dirs = corporaDirs;
  }

  /** Every corpus file two levels deep; a path found in an earlier folder hides the same path later. */
  list(): CorpusEntry[] {
    const seen = new Map<string, CorpusEntry>();
    const walk = (root: string, prefix: string, depth: number) => {
      let names: string[];
      try {
        names = readdirSync(root).sort();
      } catch {
        return;
      }
      for (const name of names) {
        const st = statSync(path.join(root, name), { throwIfNoEntry: false });
        if (!st) continue;
        const id = `${prefix}${name}`;
        if (st.isDirectory() && depth > 0) walk(path.join(root, name), `${id}/`, depth - 1);
        else if (st.isFile() && CORPUS_FILE.test(name) && !seen.has(id)) seen.set(id, { id, bytes: st.size });
      }
    };
    for (const dir of this.#dirs) walk(dir, '', 1);
    return [...seen.values()];
  }

  save(name: string, content: string): CorpusEntry {
    if (!UPLOAD_NAME.test(name)) {
      throw new DistilleryError('INVALID_INPUT', `upload name "${name}" is not allowed`, {
        hint: 'use letters, digits, ".", "_" or "-" ending in .jsonl, .csv, .tsv or .txt',
      });
    }
    const dir = path.join(this.#dirs[0]!, 'uploads');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, name), content);
    return { id: `uploads/${name}`, bytes: Buffer.byteLength(content) };
  }
}
