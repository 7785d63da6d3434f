/**
 * A directory of parts as the record of a job's progress, for `run --shard i/n --parts DIR` (an indexed
 * batch job with no queue): each part is checked against the hash its name carries, and a chunk is done
 * when the directory holds a part of this job for it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { partHeader } from './part-file.ts';
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

/** Every part in `dir` whose bytes match its name; a mismatch is refused with the file to remove. */
export function listParts(dir: string): StoredPart[] {
  if (!existsSync(dir)) return [];
  const out: StoredPart[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = PART_NAME.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    const bytes = readFileSync(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!sha256.startsWith(m[2]!))
      throw new DistilleryError('INVALID_INPUT', `part ${file} is corrupt: its sha256 is ${sha256}`, {
        hint: 'remove it and rerun the shard that owns its chunk: the chunk is computed again',
      });
    const h = partHeader(bytes, file);
    out.push({ chunk: Number(m[1]), name, sha256, bytes: bytes.length, job: h.job, examples: h.examples.length });
  }
  return out;
}

/** The job's part for each chunk found in `dir`, and the chunks that have none yet. */
export function partsOfJob(dir: string, plan: DistributedJob): { found: Map<number, StoredPart>; missing: number[] } {
  const found = new Map<number, StoredPart>();
  for (const p of listParts(dir)) {
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
