/**
 * Where a job's parts live: a directory every machine mounts, or an `s3://bucket/prefix` (s3-parts.ts).
 * Workers and shards write parts through it, finalize and `run --parts` list and read them through it;
 * the merge and the exports then read a local directory of checked parts (`local`): the directory itself,
 * or for S3 a scratch copy downloaded and checked against each part's sha256.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isS3Url } from '../../storage/s3-url.ts';
import { encodeNamedPart, writeFileAtomic, type Part } from './part-file.ts';
import { S3Parts } from './s3-parts.ts';

export interface PartsLocation {
  /** the absolute directory or the s3:// prefix, as messages name it */
  readonly where: string;
  /** the path or URL of one part */
  at(name: string): string;
  /** the names it holds, sorted (none when the directory or prefix does not exist yet) */
  names(): Promise<string[]>;
  read(name: string): Promise<Buffer>;
  /** a part appears whole or not at all; writing the same name again (the same bytes) changes nothing */
  write(name: string, bytes: Buffer): Promise<void>;
  /**
   * A local directory holding these parts under their names, each checked against its sha256 (a mismatch
   * names the part): the directory itself, or a scratch copy of S3's parts that `close` removes
   */
  local(parts: readonly { name: string; sha256: string }[]): Promise<string>;
  /** removes any scratch copy; safe to call twice */
  close(): Promise<void>;
}

/** Writes a part under its content name; the same part written twice writes the same name and bytes. */
export async function storePart(
  loc: PartsLocation,
  part: Part,
): Promise<{ name: string; sha256: string; bytes: number }> {
  const { name, sha256, bytes } = encodeNamedPart(part);
  await loc.write(name, bytes);
  return { name, sha256, bytes: bytes.length };
}

/** A parts directory as given on the command line (relative to the working directory), or an s3:// prefix. */
export const resolvePartsWhere = (where: string): string =>
  isS3Url(where) ? where.replace(/\/+$/, '') : path.resolve(where);

export function partsLocation(where: string): PartsLocation {
  return isS3Url(where) ? new S3Parts(resolvePartsWhere(where)) : new DirParts(path.resolve(where));
}

class DirParts implements PartsLocation {
  constructor(readonly where: string) {}
  at(name: string): string {
    return path.join(this.where, name);
  }
  async names(): Promise<string[]> {
    return existsSync(this.where) ? readdirSync(this.where).sort() : [];
  }
  async read(name: string): Promise<Buffer> {
    return readFileSync(this.at(name));
  }
  async write(name: string, bytes: Buffer): Promise<void> {
    writeFileAtomic(this.where, name, bytes);
  }
  /** the directory itself: its readers check every part's sha256 as they read it */
  async local(): Promise<string> {
    return this.where;
  }
  async close(): Promise<void> {}
}
