/**
 * A job's parts under an `s3://bucket/prefix`: each part one object named by its content (PutObject
 * makes it visible whole, and a chunk written twice puts the same key and bytes). Reads are kept in a
 * scratch directory, so a listing that read every part (to check it and learn its job) and the merge
 * after it download each part once; the merge reads that directory like a parts directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getObject, listNames, putObject } from '../../storage/s3-client.ts';
import { s3Child } from '../../storage/s3-url.ts';
import { checkPartBytes } from './part-file.ts';
import type { PartsLocation } from './parts-location.ts';

/** downloads at once while a scratch copy is made */
const PARALLEL = 8;

export class S3Parts implements PartsLocation {
  #scratch: string | undefined;

  constructor(readonly where: string) {}

  at(name: string): string {
    return s3Child(this.where, name);
  }

  names(): Promise<string[]> {
    return listNames(this.where);
  }

  async read(name: string): Promise<Buffer> {
    const bytes = await getObject(this.at(name));
    writeFileSync(path.join(this.#dir(), name), bytes);
    return bytes;
  }

  write(name: string, bytes: Buffer): Promise<void> {
    return putObject(this.at(name), bytes);
  }

  async local(parts: readonly { name: string; sha256: string }[]): Promise<string> {
    const dir = this.#dir();
    const todo = parts.filter((p) => !existsSync(path.join(dir, p.name)));
    let next = 0;
    const fetchSome = async (): Promise<void> => {
      while (next < todo.length) {
        const p = todo[next++]!;
        const bytes = await getObject(this.at(p.name));
        checkPartBytes(bytes, p.sha256, this.at(p.name));
        writeFileSync(path.join(dir, p.name), bytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length) }, fetchSome));
    // parts a listing read before were checked against their names' hash prefix: now the whole sha256
    const fetched = new Set(todo);
    for (const p of parts)
      if (!fetched.has(p)) checkPartBytes(readFileSync(path.join(dir, p.name)), p.sha256, this.at(p.name));
    return dir;
  }

  async close(): Promise<void> {
    if (this.#scratch) rmSync(this.#scratch, { recursive: true, force: true });
    this.#scratch = undefined;
  }

  #dir(): string {
    this.#scratch ??= mkdtempSync(path.join(tmpdir(), 'distillery-parts-'));
    return this.#scratch;
  }
}
