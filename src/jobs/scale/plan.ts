/**
 * A job cut into chunks for workers: the corpus is read once for its records (the same validation as `distillery run`,
 * so a malformed line or a repeated id stops here, before anything is queued) and each chunk is the run's
 * chunk of the same index, given by its record count and the corpus lines and bytes it spans (a second read,
 * counting newlines, finds the bytes: chunk-slice.ts). The job id is the
 * dataset plus a hash of everything that makes its rows, so the same command always names the same job.
 */
import { createHash } from 'node:crypto';
import { corpusBytes, newCorpusStats, readCorpus } from '../corpus/index.ts';
import type { JobSpec } from '../job-schema.ts';
import { uniqueIds } from '../runner/chunks.ts';
import { sliceChunks } from './chunk-slice.ts';

export interface ChunkPlan {
  index: number;
  /** corpus lines (1-based, inclusive) the chunk's records start on */
  firstLine: number;
  lastLine: number;
  records: number;
  /** records before this chunk */
  recordsBefore: number;
  /**
   * corpus bytes: the chunk's lines are [start, end), read after the head [0, head) (chunk-slice.ts);
   * `size`: the corpus's size when planned, so a worker can tell a corpus that changed under the job;
   * absent in chunks queued before byte ranges were planned
   */
  bytes?: { head: number; start: number; end: number; size?: number };
}

export interface DistributedJob {
  /** `<dataset>-<12 hex of the spec hash>`; BullMQ ids of its jobs start with it */
  id: string;
  specHash: string;
  job: JobSpec;
  /** records in the whole corpus (EDA picks its parameters from it) */
  corpusRecords: number;
  chunks: ChunkPlan[];
}

/** The corpus size must have been read (statCorpus, which every corpus reader does) for an s3:// corpus. */
export function specHash(job: JobSpec): string {
  return createHash('sha256')
    .update(JSON.stringify({ job: { ...job, shard: null }, corpusBytes: corpusBytes(job.corpus.path) }))
    .digest('hex');
}

export async function planJob(job: JobSpec): Promise<DistributedJob> {
  // one pass validates (as a plain run's count does) and cuts the chunks; an s3:// corpus is read once here
  const stats = newCorpusStats();
  const checkId = uniqueIds(job.corpus);
  const chunks: ChunkPlan[] = [];
  let current: ChunkPlan | undefined;
  let n = 0;
  for await (const r of readCorpus(job.corpus, stats)) {
    checkId(r);
    if (!current) {
      current = { index: chunks.length, firstLine: r.line, lastLine: r.line, records: 0, recordsBefore: n };
      chunks.push(current);
    }
    current.lastLine = r.line;
    current.records++;
    n++;
    if (current.records === job.chunkSize) current = undefined;
  }
  await sliceChunks(job.corpus, chunks);
  const h = specHash(job);
  return { id: `${job.dataset}-${h.slice(0, 12)}`, specHash: h, job, corpusRecords: n, chunks };
}
