/**
 * A causal-LM job cut into chunks for queue workers: the plain run's chunks (`chunkSize` valid corpus
 * rows each), found by one scan with the plain run's validation, so a malformed line or a repeated id
 * stops here, before anything is queued. The job id is the one its `.seqpart` parts carry
 * (`sequenceJobId`), so the queue and `run --shard i/n --parts DIR` name the same job.
 */
import { DistilleryError } from '../../core/errors.ts';
import { newCorpusStats, readSequenceCorpus, type SequenceRecord } from '../corpus/index.ts';
import type { JobSpec } from '../job-schema.ts';
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
  const { shard: _shard, ...whole } = job;
  return { id: sequenceJobId(job), specHash: specHash(whole), job, corpusRecords: stats.records, chunks };
}

/**
 * The chunk's rows, found by their lines. Lines outside the slice are not judged (a bad line elsewhere is
 * another chunk's failure); a slice that no longer holds its rows fails with the lines.
 */
export async function readSequenceChunk(job: JobSpec, chunk: ChunkPlan): Promise<SequenceRecord[]> {
  const stats = newCorpusStats();
  const records: SequenceRecord[] = [];
  for await (const r of readSequenceCorpus({ ...job.corpus, skipInvalid: true }, stats)) {
    if (r.line > chunk.lastLine) break;
    if (r.line >= chunk.firstLine) records.push(r);
  }
  if (records.length !== chunk.records) {
    const bad = stats.problems.filter((p) => p.line >= chunk.firstLine && p.line <= chunk.lastLine);
    const why = bad.map((p) => `${job.corpus.path}:${p.line}: ${p.message}`).join('; ');
    throw new DistilleryError(
      'INVALID_INPUT',
      `chunk ${chunk.index} (rows ${chunk.recordsBefore + 1}-${chunk.recordsBefore + chunk.records}, ` +
        `lines ${chunk.firstLine}-${chunk.lastLine}): expected ${chunk.records} rows, read ${records.length}` +
        (why ? `: ${why}` : ''),
      { hint: 'the corpus changed since the job was planned' },
    );
  }
  return records;
}
