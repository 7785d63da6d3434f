/**
 * A directory (or s3:// prefix) of parts as the record of a job's progress, for `run --shard i/n --parts DIR`
 * (an indexed batch job with no queue): each part is checked against the hash its name carries, and a
 * chunk is done when the directory holds a part of this job for it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { partHeader } from './part-file.ts';
import { checkedPart, listPartsOfKind, type ListedPart, type PartKind } from './part-listing.ts';
import type { PartsLocation } from './parts-location.ts';
import type { DistributedJob } from './plan.ts';

export interface StoredPart extends ListedPart {
  bytes: number;
  job: string;
  examples: number;
}

const PART: PartKind<Omit<StoredPart, keyof ListedPart>> = {
  name: /^chunk-(\d{6})\.([0-9a-f]{16})\.part$/,
  facts(bytes, where) {
    const h = partHeader(bytes, where);
    return { bytes: bytes.length, job: h.job, examples: h.examples.length };
  },
};

/** Every part in `dir` whose bytes match its name; a mismatch is refused with the file to remove. */
export function listParts(dir: string): StoredPart[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .filter((name) => PART.name.test(name))
    .map((name) => checkedPart(PART, name, readFileSync(path.join(dir, name)), path.join(dir, name)));
}

/** `listParts` of a directory or an s3:// prefix. */
export const listPartsAt = (loc: PartsLocation): Promise<StoredPart[]> => listPartsOfKind(loc, PART);

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
