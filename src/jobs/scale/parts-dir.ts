/**
 * A directory (or s3:// prefix) of parts as the record of a job's progress, for `run --shard i/n --parts DIR`
 * (an indexed batch job with no queue): each part is checked against the hash its name carries, and a
 * chunk is done when the directory holds a part of this job for it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { partHeader } from './part-file.ts';
import type { PartsLocation } from './parts-location.ts';
import type { DistributedJob } from './plan.ts';

const PART_NAME = /^chunk-(\d{6})\.([0-9a-f]{16})\.part$/;

export interface StoredPart {
  chunk: number;
  /** file name inside the parts directory */
  name: string;
  sha256: string;
  bytes: number;
  job: string;
  examples: number;
}

/** A part file's facts, if `name` is a part's name; bytes that do not match it are refused with `where`. */
function storedPart(name: string, bytes: Buffer, where: string): StoredPart {
  const m = PART_NAME.exec(name)!;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!sha256.startsWith(m[2]!))
    throw new DistilleryError('INVALID_INPUT', `part ${where} is corrupt: its sha256 is ${sha256}`, {
      hint: 'remove it and rerun the shard that owns its chunk: the chunk is computed again',
    });
  const h = partHeader(bytes, where);
  return { chunk: Number(m[1]), name, sha256, bytes: bytes.length, job: h.job, examples: h.examples.length };
}

/** Every part in `dir` whose bytes match its name; a mismatch is refused with the file to remove. */
export function listParts(dir: string): StoredPart[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .filter((name) => PART_NAME.test(name))
    .map((name) => storedPart(name, readFileSync(path.join(dir, name)), path.join(dir, name)));
}

/** `listParts` of a directory or an s3:// prefix. */
export async function listPartsAt(loc: PartsLocation): Promise<StoredPart[]> {
  const out: StoredPart[] = [];
  for (const name of await loc.names())
    if (PART_NAME.test(name)) out.push(storedPart(name, await loc.read(name), loc.at(name)));
  return out;
}

/** The job's part for each chunk found in `loc`, and the chunks that have none yet. */
export async function partsOfJob(
  loc: PartsLocation,
  plan: DistributedJob,
): Promise<{ found: Map<number, StoredPart>; missing: number[] }> {
  const dir = loc.where;
  const found = new Map<number, StoredPart>();
  for (const p of await listPartsAt(loc)) {
    if (p.job !== plan.id) continue;
    const twin = found.get(p.chunk);
    if (twin)
      throw new DistilleryError(
        'INVALID_INPUT',
        `${dir} holds two different parts of job ${plan.id} for chunk ${p.chunk}: ${twin.name} and ${p.name}`,
        {
          hint: 'the teachers or their files changed between shards: give every shard the same models, clear the directory and rerun',
        },
      );
    found.set(p.chunk, p);
  }
  const missing = plan.chunks.map((c) => c.index).filter((i) => !found.has(i));
  return { found, missing };
}
