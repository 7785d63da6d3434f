/**
 * The queue-free way to spread a causal-LM job (docs/SCALE.md): `run JOB --shard i/n --parts DIR` labels
 * the corpus chunks shard i owns (chunk k belongs to shard k mod n; a chunk is `chunkSize` corpus rows,
 * the plain run's chunk) through the shard's own store, the content-addressed cache, and writes one
 * sequence part per chunk; `run JOB --parts DIR` checks every part and stores rows, sequences and outputs
 * in chunk order into the coordinator's store, as the plain run commits them (each chunk's blobs first,
 * then its rows with the running manifest), so the exports are the same bytes. A merge killed halfway
 * resumes after the last committed chunk.
 */
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';
import { newCorpusStats, readSequenceCorpus, statCorpus, type SequenceRecord } from '../corpus/index.ts';
import { withDatasetLock } from '../dataset-lock.ts';
import type { JobSpec } from '../job-schema.ts';
import { sequenceDatasetSpec, type SequenceDatasetSpec } from '../sequence/run-sequence-job.ts';
import { partsLocation, type PartsLocation } from './parts-location.ts';
import { specHash } from './plan.ts';
import { labelSequenceChunk } from './sequence-chunk.ts';
import {
  listSequenceParts,
  readSequencePart,
  writeSequencePart,
  type StoredSequencePart,
} from './sequence-part-file.ts';

export interface SequenceShardDeps {
  store: Store;
  teacher: CausalTeacher;
}

export interface SequenceChunkEvent {
  job: string;
  chunk: number;
  part: string;
  rows: number;
  computed: number;
  cached: number;
  seconds: number;
}

const wholeJob = (job: JobSpec): JobSpec => {
  const { shard: _shard, ...rest } = job;
  return rest;
};

/** The job id parts carry: the dataset plus a hash of the job and the corpus size, as the classifier plan's. */
export const sequenceJobId = (job: JobSpec): string => `${job.dataset}-${specHash(wholeJob(job)).slice(0, 12)}`;

/** The dataset identity parts are labelled for (the plain run's); refuses generate jobs, whose rows the generator writes. */
export function sequencePartsIdentity(job: JobSpec, teacher: CausalTeacher): SequenceDatasetSpec {
  if (job.sequence?.generate)
    throw new DistilleryError(
      'INVALID_INPUT',
      'a causal-LM job with sequence.generate cannot be split into parts yet: its rows are written by the generator',
      { hint: 'run it whole (without --shard/--parts); it resumes after an interruption all the same' },
    );
  const identity = sequenceDatasetSpec(wholeJob(job), teacher);
  teacher.validateSpec(identity.spec);
  return identity;
}

/** The corpus in chunks of `chunkSize` valid rows, each with its index (the plain run's chunks). */
async function* corpusChunks(job: JobSpec): AsyncGenerator<{ index: number; records: SequenceRecord[] }> {
  let chunk: SequenceRecord[] = [];
  let index = 0;
  for await (const r of readSequenceCorpus(job.corpus, newCorpusStats())) {
    chunk.push(r);
    if (chunk.length < job.chunkSize) continue;
    yield { index: index++, records: chunk };
    chunk = [];
  }
  if (chunk.length > 0) yield { index, records: chunk };
}

/** Valid corpus rows, after checking every line as the plain run does before it stores anything. */
async function corpusRows(job: JobSpec): Promise<number> {
  const stats = newCorpusStats();
  for await (const _ of readSequenceCorpus(job.corpus, stats)) {
    // counting only
  }
  return stats.records;
}

async function partsOf(loc: PartsLocation, jobId: string): Promise<Map<number, StoredSequencePart>> {
  const dir = loc.where;
  const found = new Map<number, StoredSequencePart>();
  for (const p of await listSequenceParts(loc)) {
    if (p.job !== jobId) continue;
    const twin = found.get(p.chunk);
    if (twin)
      throw new DistilleryError(
        'INVALID_INPUT',
        `${dir} holds two different parts of job ${jobId} for chunk ${p.chunk}: ${twin.name} and ${p.name}`,
        {
          hint: 'the teacher or its files changed between shards: give every shard the same model, clear the directory and rerun',
        },
      );
    found.set(p.chunk, p);
  }
  return found;
}

export async function writeSequenceShardParts(
  job: JobSpec,
  shard: { index: number; count: number },
  partsDir: string,
  deps: SequenceShardDeps,
  onChunk?: (e: SequenceChunkEvent) => void,
): Promise<{ job: string; owned: number; written: number; present: number }> {
  await statCorpus(job.corpus.path);
  const identity = sequencePartsIdentity(job, deps.teacher);
  const jobId = sequenceJobId(job);
  await corpusRows(job);
  const loc = partsLocation(partsDir);
  const found = await partsOf(loc, jobId).finally(() => loc.close());
  let owned = 0;
  let written = 0;
  for await (const { index, records } of corpusChunks(job)) {
    if (index % shard.count !== shard.index) continue;
    owned++;
    if (found.has(index)) continue;
    const started = performance.now();
    const part = await labelSequenceChunk(deps, identity, { job: jobId, dataset: job.dataset, chunk: index }, records);
    const w = await writeSequencePart(loc, index, part.bytes);
    written++;
    onChunk?.({
      job: jobId,
      chunk: index,
      part: w.name,
      rows: part.rows,
      computed: part.computed,
      cached: part.cached,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return { job: jobId, owned, written, present: owned - written };
}

export interface SequenceMergeResult {
  status: 'done' | 'up-to-date';
  job: string;
  dataset: string;
  chunks: number;
  rows: number;
  refused: number;
}

interface Manifest {
  status: 'running' | 'done';
  rows: number;
  labelled: number;
  refused: number;
}

const manifest = (status: Manifest['status'], rows: number, refused: number): Manifest => ({
  status,
  rows,
  labelled: rows - refused,
  refused,
});

/**
 * Merges the parts of every chunk into `store`; refuses, storing nothing, while a chunk has none. The parts
 * are those `partsDir` holds, or on the queue those the chunks' results name (`parts`): a chunk a second
 * worker labelled again may have left a twin there.
 */
export async function mergeSequenceParts(
  job: JobSpec,
  partsDir: string,
  deps: SequenceShardDeps & { command: string },
  parts?: ReadonlyMap<number, StoredSequencePart>,
): Promise<SequenceMergeResult> {
  await statCorpus(job.corpus.path);
  const identity = sequencePartsIdentity(job, deps.teacher);
  const jobId = sequenceJobId(job);
  const total = await corpusRows(job);
  const loc = partsLocation(partsDir);
  try {
    return await mergeFound(job, loc, deps, identity, total, parts ?? (await partsOf(loc, jobId)));
  } finally {
    await loc.close();
  }
}

async function mergeFound(
  job: JobSpec,
  loc: PartsLocation,
  deps: SequenceShardDeps & { command: string },
  identity: SequenceDatasetSpec,
  total: number,
  found: ReadonlyMap<number, StoredSequencePart>,
): Promise<SequenceMergeResult> {
  const jobId = sequenceJobId(job);
  const chunks = Math.ceil(total / job.chunkSize);
  const missing = Array.from({ length: chunks }, (_, k) => k).filter((k) => !found.has(k));
  if (missing.length > 0)
    throw new DistilleryError(
      'INVALID_INPUT',
      `${missing.length} of ${chunks} chunks of job ${jobId} have no part in ${loc.where}: chunk ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`,
      {
        hint: 'run the shards that own them (chunk k belongs to shard k mod n): distillery run JOB --shard i/n --parts DIR',
      },
    );
  const { store } = deps;
  const dataset = job.dataset;
  const fingerprint = deps.teacher.info.fingerprint;
  const partsDir = await loc.local([...found.values()].map((p) => ({ name: p.name, sha256: p.sha256 })));
  return withDatasetLock(store, dataset, deps.command, () => {
    const existing = store.getDataset(dataset);
    if (existing && JSON.stringify(existing.spec) !== JSON.stringify(identity))
      throw new DistilleryError('INVALID_INPUT', `dataset ${dataset} was made by a different job`, {
        hint: `use another dataset id, or remove it with: distillery datasets rm ${dataset}`,
      });
    const counts = existing ? store.datasetSequences.counts(dataset) : { rows: 0, refused: 0 };
    const result = { job: jobId, dataset, chunks, rows: counts.rows, refused: counts.refused };
    if ((existing?.manifest as Manifest | null)?.status === 'done') return { status: 'up-to-date', ...result };
    if (!existing) store.createDataset({ id: dataset, spec: identity, manifest: manifest('running', 0, 0) });
    // whole chunks commit together, so the committed rows say which chunks are in
    const done = counts.rows >= total ? chunks : Math.floor(counts.rows / job.chunkSize);
    for (let k = done; k < chunks; k++) {
      const stored = found.get(k)!;
      const { header, sequences } = readSequencePart(path.join(partsDir, stored.name), stored.sha256);
      const expected = Math.min(job.chunkSize, total - k * job.chunkSize);
      if (header.chunk !== k || header.dataset !== dataset || header.rows.length !== expected)
        throw new DistilleryError(
          'INVALID_INPUT',
          `part ${stored.name} is not chunk ${k} of ${dataset} (${expected} rows): it holds chunk ${header.chunk} of ${header.dataset} (${header.rows.length} rows)`,
          { hint: 'remove it and rerun the shard that owns the chunk' },
        );
      if (header.teacher.fingerprint !== fingerprint)
        throw new DistilleryError(
          'INVALID_INPUT',
          `part ${stored.name} was labelled by other teacher files (${header.teacher.fingerprint}) than ${deps.teacher.info.name} here (${fingerprint})`,
          { hint: 'give every shard and the merge the same model files' },
        );
      // the shard's blobs go in as they are: outputs first, then the rows that name them
      store.sequences.putEncoded(fingerprint, sequences);
      result.rows += header.rows.length;
      result.refused += header.rows.filter((r) => r.hash === undefined).length;
      store.datasetSequences.add(dataset, header.rows, manifest('running', result.rows, result.refused));
    }
    store.setDatasetManifest(dataset, manifest('done', result.rows, result.refused));
    return { status: 'done', ...result };
  });
}
