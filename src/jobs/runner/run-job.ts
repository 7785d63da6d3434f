/**
 * The chunked, resumable job: read -> augment -> dedupe -> label (cache first) -> store, one chunk at a
 * time through bounded stages. Each chunk's examples and the checkpoint are committed in one transaction,
 * so after kill -9 the same job continues from the last committed chunk and ends with the same rows as
 * an uninterrupted run. Re-running a finished job recomputes nothing.
 */
import { DistilleryError } from '../../core/errors.ts';
import { opChainKey } from '../../core/op-chain.ts';
import type { Example, OutputSpec, TeacherRunner } from '../../core/types.ts';
import type { Store } from '../../store/index.ts';
import type { CausalGenerator } from '../../teacher/causal/causal-generator.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';
import { corpusBytes, newCorpusStats, statCorpus, type CorpusRecord } from '../corpus/index.ts';
import { outputSpecOf, type JobSpec } from '../job-schema.ts';
import { labelInputs } from '../../labels/index.ts';
import { countShardRecords, recordChunks, type RecordChunk } from './chunks.ts';
import { dedupeAugmentations } from './dedupe.ts';
import { mapAhead } from './map-ahead.ts';
import type { AugmentOutcome, ChunkAugmenter, JobCheckpoint, OpChainCount, RunCounts, RunnerStore } from './ports.ts';
import { ProgressMeter, type ProgressEvent, type ProgressListener } from './progress.ts';
import { shardDatasetId } from './shard.ts';
import { applyTeacherFilter, toTeacherFilter } from './teacher-filters.ts';

export interface JobTeacher {
  runner: TeacherRunner;
  weight: number;
}

export interface RunJobOptions {
  job: JobSpec;
  store: RunnerStore;
  /** resolved from job.teachers, same order */
  teachers: readonly JobTeacher[];
  /** undefined when the job has no recipe (label only) */
  augmenter: ChunkAugmenter | undefined;
  /** alternatively, built once the corpus size is known (EDA's parameters depend on it) */
  augmenterFactory?: (corpusRecords: number) => Promise<ChunkAugmenter>;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  tokenBudget?: number;
  /** a causal-LM job (src/jobs/sequence/): runs through the sequence labeler instead */
  causal?: { teacher: CausalTeacher; store: Store; generator?: CausalGenerator };
}

export interface JobResult {
  status: 'done' | 'up-to-date' | 'cancelled';
  dataset: string;
  records: number;
  examples: number;
  chunks: number;
  /** records resumed from a previous run */
  resumed: number;
  computed: number;
  cached: number;
  invalid: number;
  augmentSkipped: number;
  duplicatesDropped: number;
  /** augmentations the teacher filters dropped / flagged */
  filteredOut: number;
  flagged: number;
  /** causal-LM jobs: rows the teacher refused (each keeps its field and reason in the dataset) */
  refused?: number;
  /** causal-LM generate jobs: of `computed`, sequences labelled from their generation's recording */
  recorded?: number;
  /** causal-LM jobs: the first refused rows */
  refusedRows?: { id: string; field: string; message: string }[];
}

/** What identifies a job's dataset: everything that changes its rows or labels (export targets do not). */
export function jobIdentity(job: JobSpec, teachers: readonly JobTeacher[]): unknown {
  return {
    corpus: job.corpus,
    // a corpus file that grew or shrank since the dataset was started would mix two corpora on resume
    corpusBytes: corpusBytes(job.corpus.path),
    recipe: job.recipe,
    seed: String(job.seed),
    teachers: teachers.map((t) => ({
      name: t.runner.info.name,
      fingerprint: t.runner.info.fingerprint,
      weight: t.weight,
    })),
    outputs: job.outputs,
    filters: job.filters ?? null,
    chunkSize: job.chunkSize,
    shard: job.shard ?? null,
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function toOriginal(r: CorpusRecord): Example {
  const e: Example = { id: r.id, text: r.input.text, label: r.label, origin: { kind: 'original' } };
  if (r.input.textPair !== undefined) e.textPair = r.input.textPair;
  return e;
}

/** Originals each followed by their own augmentations, in the originals' order. */
export function interleave(originals: readonly Example[], augmentations: readonly Example[]): Example[] {
  const byParent = new Map<string, Example[]>();
  for (const a of augmentations) {
    if (a.origin.kind !== 'augmentation')
      throw new DistilleryError('INTERNAL', `augmenter returned a non-augmentation ${a.id}`);
    const list = byParent.get(a.origin.parentId);
    if (list) list.push(a);
    else byParent.set(a.origin.parentId, [a]);
  }
  const out: Example[] = [];
  for (const o of originals) out.push(o, ...(byParent.get(o.id) ?? []));
  return out;
}

/**
 * Per op chain of one chunk: augmentations made (kept by the augmenter, plus those it dropped as
 * duplicates itself) and all dropped as duplicates (by the augmenter or by the dedupe here).
 */
export function chainCounts(outcome: AugmentOutcome, droppedHere: ReadonlyMap<string, number>): OpChainCount[] {
  const counts = new Map<string, OpChainCount>();
  const of = (op: string) => {
    let c = counts.get(op);
    if (!c) counts.set(op, (c = { op, produced: 0, duplicates: 0 }));
    return c;
  };
  for (const e of outcome.examples) if (e.origin.kind === 'augmentation') of(opChainKey(e.origin.ops)).produced++;
  for (const [op, n] of Object.entries(outcome.duplicatesByChain ?? {})) {
    of(op).produced += n;
    of(op).duplicates += n;
  }
  for (const [op, n] of droppedHere) of(op).duplicates += n;
  return [...counts.values()].filter((c) => c.produced > 0).sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
}

interface PreparedChunk extends RecordChunk {
  examples: Example[];
  augmentSkipped: number;
  duplicatesDropped: number;
  opCounts: OpChainCount[];
}

interface LabelledChunk extends PreparedChunk {
  computed: number;
  cached: number;
  filteredOut: number;
  flagged: number;
}

export async function runJob(opts: RunJobOptions): Promise<JobResult> {
  const { job, store, teachers, signal } = opts;
  await statCorpus(job.corpus.path);
  const dataset = shardDatasetId(job.dataset, job.shard);
  const spec: OutputSpec = outputSpecOf(job);
  const identity = jobIdentity(job, teachers);
  const filter = toTeacherFilter(job.filters);
  const hashRecord = (r: CorpusRecord) => store.inputHash(r.input);

  const existing = store.datasetSpec(dataset);
  if (existing !== undefined && !sameJson(existing, identity)) {
    throw new DistilleryError(
      'INVALID_INPUT',
      `dataset ${dataset} was made by a different job (corpus file, recipe, seed, teachers, outputs or chunk size differ)`,
      {
        hint: `use another dataset id, or remove it with: distillery datasets rm ${dataset}`,
        details: { stored: existing, now: identity },
      },
    );
  }
  const start: JobCheckpoint = store.checkpoint(dataset) ?? { chunks: 0, records: 0, examples: 0, done: false };
  const base = {
    dataset,
    chunks: start.chunks,
    examples: start.examples,
    computed: 0,
    cached: 0,
    invalid: 0,
    resumed: start.records,
  };
  if (start.done) {
    const e: ProgressEvent = {
      type: 'up-to-date',
      ...base,
      records: start.records,
      totalRecords: start.records,
      elapsedSeconds: 0,
      rate: 0,
      etaSeconds: 0,
    };
    opts.onProgress?.(e);
    return {
      status: 'up-to-date',
      ...base,
      records: start.records,
      augmentSkipped: 0,
      duplicatesDropped: 0,
      filteredOut: 0,
      flagged: 0,
    };
  }

  // Validate the whole corpus before writing anything: a malformed line stops the job here, not halfway.
  const scanStats = newCorpusStats();
  const totalRecords = await countShardRecords(job.corpus, job.shard, hashRecord, scanStats);

  const augmenter =
    opts.augmenter ?? (opts.augmenterFactory ? await opts.augmenterFactory(scanStats.records) : undefined);
  store.ensureDataset(dataset, identity);
  for (const t of teachers) store.registerTeacher(dataset, t.runner.info, spec);

  const meter = new ProgressMeter(start.records);
  // totals of chunks committed by an interrupted run count too: a resumed run reports what a whole one would
  let state = {
    ...base,
    records: start.records,
    invalid: scanStats.skipped,
    augmentSkipped: start.counts?.augmentSkipped ?? 0,
    duplicatesDropped: start.counts?.duplicatesDropped ?? 0,
    filteredOut: start.counts?.filteredOut ?? 0,
    flagged: start.counts?.flagged ?? 0,
  };
  const countsOf = (s: typeof state): RunCounts => ({
    augmentSkipped: s.augmentSkipped,
    duplicatesDropped: s.duplicatesDropped,
    filteredOut: s.filteredOut,
    flagged: s.flagged,
  });
  const emit = (type: ProgressEvent['type']) => {
    opts.onProgress?.({
      type,
      dataset,
      records: state.records,
      totalRecords,
      chunks: state.chunks,
      examples: state.examples,
      computed: state.computed,
      cached: state.cached,
      invalid: state.invalid,
      resumed: state.resumed,
      ...meter.measure(state.records, totalRecords),
    });
  };
  emit('start');

  // Cancelling lets the chunk being awaited finish and commit ("stop after the current chunk"); only work
  // started ahead of it is abandoned, through this internal signal, once the loop below has stopped.
  const discard = new AbortController();
  const prepare = async (chunk: RecordChunk): Promise<PreparedChunk> => {
    const originals = chunk.records.map(toOriginal);
    if (!augmenter) return { ...chunk, examples: originals, augmentSkipped: 0, duplicatesDropped: 0, opCounts: [] };
    const outcome = await augmenter.augment(originals, discard.signal);
    const deduped = dedupeAugmentations(interleave(originals, outcome.examples), (e) => store.inputHash(e));
    const opCounts = chainCounts(outcome, deduped.droppedByChain);
    return {
      ...chunk,
      examples: deduped.examples,
      augmentSkipped: outcome.skipped,
      duplicatesDropped: deduped.dropped,
      opCounts,
    };
  };

  const label = async (chunk: PreparedChunk): Promise<LabelledChunk> => {
    let computed = 0;
    let cached = 0;
    for (const t of teachers) {
      const s = await labelInputs(t.runner, store, chunk.examples, spec, {
        ...(opts.tokenBudget === undefined ? {} : { tokenBudget: opts.tokenBudget }),
        signal: discard.signal,
      });
      computed += s.computed;
      cached += s.cached;
    }
    if (!filter) return { ...chunk, computed, cached, filteredOut: 0, flagged: 0 };
    const f = applyTeacherFilter(chunk.examples, filter, store, teachers);
    return { ...chunk, examples: f.examples, computed, cached, filteredOut: f.dropped, flagged: f.flagged };
  };

  const chunks = recordChunks(job.corpus, job.chunkSize, job.shard, hashRecord, undefined, start.chunks);
  const labelled = mapAhead(mapAhead(chunks, prepare, 1), label, 1);
  let cancelled = signal?.aborted ?? false;
  const stopAhead = () => discard.abort();
  if (!cancelled) {
    for await (const c of labelled) {
      const next: JobCheckpoint = {
        chunks: c.index + 1,
        records: c.recordsThrough,
        examples: state.examples + c.examples.length,
        done: false,
        counts: {
          augmentSkipped: state.augmentSkipped + c.augmentSkipped,
          duplicatesDropped: state.duplicatesDropped + c.duplicatesDropped,
          filteredOut: state.filteredOut + c.filteredOut,
          flagged: state.flagged + c.flagged,
        },
      };
      try {
        store.commitChunk(dataset, c.examples, next, c.opCounts);
      } catch (e) {
        // do not wait for the chunk being labelled ahead before reporting the failure
        stopAhead();
        throw e;
      }
      state = {
        ...state,
        chunks: next.chunks,
        records: next.records,
        examples: next.examples,
        computed: state.computed + c.computed,
        cached: state.cached + c.cached,
        augmentSkipped: state.augmentSkipped + c.augmentSkipped,
        duplicatesDropped: state.duplicatesDropped + c.duplicatesDropped,
        filteredOut: state.filteredOut + c.filteredOut,
        flagged: state.flagged + c.flagged,
      };
      emit('chunk');
      // Ctrl-C / DELETE /v1/jobs/:id: stop cleanly after the chunk just committed
      if (signal?.aborted) {
        cancelled = true;
        stopAhead();
        break;
      }
    }
  }
  if (cancelled) {
    emit('cancelled');
    return { status: 'cancelled', ...state };
  }
  store.commitChunk(dataset, [], {
    chunks: state.chunks,
    records: state.records,
    examples: state.examples,
    done: true,
    counts: countsOf(state),
  });
  emit('done');
  return { status: 'done', ...state };
}
