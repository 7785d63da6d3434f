/**
 * Corpora a dashboard user may pick: the public ones under <shared>/data/corpora and files uploaded
 * through the form. Requests name a corpus by catalog id, never by filesystem path.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';

export interface CorpusEntry {
  /** "shared/sst2/dev.jsonl" or "uploads/reviews.jsonl" */
  id: string;
  bytes: number;
}

const CORPUS_FILE = /\.(jsonl|csv|tsv|txt)$/;
const UPLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(jsonl|csv|tsv|txt)$/;

export class CorpusCatalog {
  readonly #sharedCorpora: string;
  readonly #uploads: string;

  constructor(opts: { sharedDir: string; uploadsDir: string }) {
    this.#sharedCorpora = path.join(opts.sharedDir, 'data', 'corpora');
    this.#uploads = opts.uploadsDir;
  }

  list(): CorpusEntry[] {
    const out: CorpusEntry[] = [];
    const walk = (root: string, prefix: string, depth: number) => {
      let names: string[];
      try {
        names = readdirSync(root).sort();
      } catch {
        return;
      }
      for (const name of names) {
        const full = path.join(root, name);
        const st = statSync(full, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.isDirectory() && depth > 0) walk(full, `${prefix}${name}/`, depth - 1);
        else if (st.isFile() && CORPUS_FILE.test(name)) out.push({ id: `${prefix}${name}`, bytes: st.size });
      }
    };
    walk(this.#sharedCorpora, 'shared/', 1);
    walk(this.#uploads, 'uploads/', 0);
    return out;
  }

  /** The file behind a catalog id; unknown ids are a 404, never a path lookup. */
  resolve(id: string): string {
    const entry = this.list().find((c) => c.id === id);
    if (!entry) throw new DistilleryError('NOT_FOUND', `no corpus "${id}"`, { hint: 'pick one from GET /v1/corpora or upload one' });
    return id.startsWith('uploads/') ? path.join(this.#uploads, id.slice('uploads/'.length)) : path.join(this.#sharedCorpora, id.slice('shared/'.length));
  }

  save(name: string, content: string): CorpusEntry {
    if (!UPLOAD_NAME.test(name)) {
      throw new DistilleryError('INVALID_INPUT', `upload name "${name}" is not allowed`, { hint: 'use letters, digits, ".", "_" or "-" ending in .jsonl, .csv, .tsv or .txt' });
    }
    mkdirSync(this.#uploads, { recursive: true });
    writeFileSync(path.join(this.#uploads, name), content);
    return { id: `uploads/${name}`, bytes: Buffer.byteLength(content) };
  }
}
