/** Shard naming and the write-to-temp-then-rename step that keeps half-written files invisible. */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { FileSink } from './byte-sink.ts';
import type { ExportedFile } from './export-options.ts';

export const shardName = (prefix: string, index: number, ext: string): string =>
  `${prefix}-${String(index).padStart(5, '0')}.${ext}`;

export class ShardFile {
  readonly name: string;
  readonly sink: FileSink;
  readonly #final: string;

  constructor(outDir: string, name: string) {
    this.name = name;
    this.#final = join(outDir, name);
    this.sink = new FileSink(`${this.#final}.partial`);
  }

  /** Closes and renames into place. */
  commit(rows: number): ExportedFile {
    const { sha256, bytes } = this.sink.close();
    renameSync(this.sink.path, this.#final);
    return { path: this.name, rows, bytes, sha256 };
  }

  /** An export that failed half way: no partial file stays behind. */
  discard(): void {
    this.sink.discard();
    rmSync(this.sink.path, { force: true });
  }
}

export function checkPositiveInt(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n <= 0)
    throw new DistilleryError('INVALID_INPUT', `${name} must be a positive integer, got ${v}`);
  return n;
}
