/**
 * A chunk's slice of the corpus: the plan records the bytes each chunk spans, and a worker reads only
 * those (an S3 ranged GET, or a file read from an offset), plus the head a reader needs first (a CSV
 * header, the JSONL object that names the columns). One reader serves classifier records and causal-LM rows.
 */
import { DistilleryError } from '../../core/errors.ts';
import {
  corpusBytes,
  guessFormat,
  lineOffsets,
  newCorpusStats,
  statCorpus,
  type CorpusOptions,
  type CorpusStats,
} from '../corpus/index.ts';
import type { JobSpec } from '../job-schema.ts';
import type { ChunkPlan } from './plan.ts';

/**
 * Sets each chunk's bytes: from the start of its first line to the start of the next chunk's (the last
 * chunk: to the end). `head`: what precedes every slice. `whole`: the slices start at byte 0 instead, for a
 * causal-LM job that skips invalid lines (a repeated id is only found against the lines before it).
 */
export async function sliceChunks(corpus: CorpusOptions, chunks: ChunkPlan[], sequence = false): Promise<void> {
  const first = chunks[0];
  if (!first) return;
  const format = corpus.format ?? guessFormat(corpus.path);
  const wanted = chunks.map((c) => c.firstLine);
  // the JSONL reader takes its columns from the first object, on or before the first record's line
  const jsonlHead = !sequence && format === 'jsonl';
  if (jsonlHead) wanted.push(first.firstLine + 1);
  const { offsets, bytes } = await lineOffsets(
    corpus.path,
    [...new Set(wanted)].sort((a, b) => a - b),
  );
  const at = new Map([...new Set(wanted)].sort((a, b) => a - b).map((line, i) => [line, offsets[i]!]));
  const firstStart = at.get(first.firstLine)!;
  const head = sequence ? 0 : jsonlHead ? at.get(first.firstLine + 1)! : format === 'text' ? 0 : firstStart;
  chunks.forEach((c, i) => {
    const start = at.get(c.firstLine)!;
    const end = i + 1 < chunks.length ? at.get(chunks[i + 1]!.firstLine)! : bytes;
    c.bytes = { head: sequence && corpus.skipInvalid ? start : head, start, end, size: bytes };
  });
}

/**
 * The chunk's records (or rows), found by their lines in its slice. Lines outside the chunk are not judged
 * (a bad line elsewhere is another chunk's failure); a slice that no longer holds its records fails with
 * the lines. A chunk planned without bytes (queued by an older coordinator) reads the corpus from its start.
 */
export async function readChunkSlice<R extends { line: number }>(
  job: JobSpec,
  chunk: ChunkPlan,
  read: (opts: CorpusOptions, stats: CorpusStats) => AsyncIterable<R>,
  noun: 'records' | 'rows',
): Promise<R[]> {
  await refuseChangedCorpus(job, chunk);
  const stats = newCorpusStats();
  const records: R[] = [];
  const slice = chunk.bytes ? { slice: { ...chunk.bytes, firstLine: chunk.firstLine } } : {};
  for await (const r of read({ ...job.corpus, skipInvalid: true, ...slice }, stats)) {
    if (r.line > chunk.lastLine) break;
    if (r.line >= chunk.firstLine) records.push(r);
  }
  if (records.length !== chunk.records) {
    const bad = stats.problems.filter((p) => p.line >= chunk.firstLine && p.line <= chunk.lastLine);
    const why = bad.map((p) => `${job.corpus.path}:${p.line}: ${p.message}`).join('; ');
    throw new DistilleryError(
      'INVALID_INPUT',
      `chunk ${chunk.index} (${noun} ${chunk.recordsBefore + 1}-${chunk.recordsBefore + chunk.records}, ` +
        `lines ${chunk.firstLine}-${chunk.lastLine}): expected ${chunk.records} ${noun}, read ${records.length}` +
        (why ? `: ${why}` : ''),
      { hint: 'the corpus changed since the job was planned' },
    );
  }
  return records;
}

/**
 * Byte ranges are only the chunk's lines while the corpus is the one planned: one that grew or shrank since
 * (edited, replaced) would hand this chunk other lines, or half lines. Each chunk fails then, naming the
 * change, rather than labelling rows of another corpus. (A same-size change is caught by the record check.)
 */
async function refuseChangedCorpus(job: JobSpec, chunk: ChunkPlan): Promise<void> {
  const planned = chunk.bytes?.size;
  if (planned === undefined) return;
  await statCorpus(job.corpus.path);
  const now = corpusBytes(job.corpus.path);
  if (now === planned) return;
  throw new DistilleryError(
    'INVALID_INPUT',
    `chunk ${chunk.index}: the corpus ${job.corpus.path} changed since the job was planned ` +
      `(${planned} bytes then, ${now === null ? 'missing' : `${now} bytes`} now)`,
    {
      hint: 'a job reads one corpus: put the planned file back, or remove the job (distillery jobs rm ID) and run it again',
    },
  );
}
