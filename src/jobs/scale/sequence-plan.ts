/**
 * A causal-LM job cut into chunks for queue workers: the plain run's chunks (`chunkSize` valid corpus
 * rows each), found by one scan with the plain run's validation, so a malformed line or a repeated id
 * stops here, before anything is queued. The job id is the one its `.seqpart` parts carry
 * (`sequenceJobId`), so the queue and `run --shard i/n --parts DIR` name the same job.
 */
import { newCorpusStats, readSequenceCorpus, type SequenceRecord } from '../corpus/index.ts';
import type { JobSpec } from '../job-schema.ts';
import { readChunkSlice, sliceChunks } from './chunk-slice.ts';
import { specHash, type ChunkPlan, type DistributedJob } from './plan.ts';
import { sequenceJobId } from './sequence-parts.ts';

export async function planSequenceJob(job: JobSpec): Promise<DistributedJob> {
  const stats = newCorpusStats();
  const chunks: ChunkPlan[] = [];
  let current: ChunkPlan | undefined;
  for await (const r of readSequenceCorpus(job.corpus, stats)) {
    if (!current) {
      current = {
        index: chunks.length,
        firstLine: r.line,
        lastLine: r.line,
        records: 0,
        recordsBefore: stats.records - 1,
      };
      chunks.push(current);
    }
    current.lastLine = r.line;
    current.records++;
    if (current.records === job.chunkSize) current = undefined;
  }
  await sliceChunks(job.corpus, chunks, true);
  const { shard: _shard, ...whole } = job;
  return { id: sequenceJobId(job), specHash: specHash(whole), job, corpusRecords: stats.records, chunks };
}

/** The chunk's rows, read from its slice of the corpus. */
export const readSequenceChunk = (job: JobSpec, chunk: ChunkPlan): Promise<SequenceRecord[]> =>
  readChunkSlice(job, chunk, readSequenceCorpus, 'rows');
