/**
 * The resumable job of a causal-LM teacher: corpus rows -> the sequence labeler (cache first, per-row
 * refusals) -> the dataset's rows, one chunk at a time. Each chunk's outputs are written before its
 * rows, and the rows (with the running totals) in one transaction, so the committed row count is the
 * checkpoint: after kill -9 the same job skips the committed rows, finds the outputs of the chunk in
 * flight in the store, and ends with the rows an uninterrupted run makes. With `sequence.generate`, a
 * chunk of prompts is first written by the generator (n rows per prompt, each from its own seeded
 * stream) and those rows commit with their labels, so the checkpoint is rows / n prompts.
 *
 * When the generator is the labelling teacher's own model (same fingerprint), each generated row is
 * labelled from its generation's recording (recordOptionsOf), not by a second forward. A row's tokens
 * and labels are written in one transaction (SequenceOutputs.put), before the chunk's rows: the text
 * is never stored without its labels. A kill before that put leaves nothing of the chunk, and the
 * rerun regenerates it (same seeded streams, same chunk, same batches) and records the same numbers;
 * a kill after it leaves the labels, which the rerun finds by content address and keeps. So a row is
 * never labelled teacher-forced on one run and from its recording on another: which one labels it
 * depends only on its tokens and the spec (recorded-targets.ts), and the export is the same bytes.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { DatasetSequenceRow, Store } from '../../store/index.ts';
import type { CausalGenerator } from '../../teacher/causal/causal-generator.ts';
import type { CausalTeacher } from '../../teacher/causal/causal-teacher.ts';
import { corpusBytes, newCorpusStats, readSequenceCorpus, statCorpus, type SequenceRecord } from '../corpus/index.ts';
import type { JobSpec } from '../job-schema.ts';
import type { JobResult } from '../runner/run-job.ts';
import { ProgressMeter, type ProgressEvent, type ProgressListener } from '../runner/progress.ts';
import { labelSequences } from '../sequence-labeler.ts';
import type { RecordOptions } from '../../teacher/causal/decode-recorder.ts';
import { generateRows } from './sequence-generate.ts';
import { DEFAULT_SEQUENCE_JOB, sequenceOptionsOf, sequenceSpecOf, type SequenceJob } from './sequence-job-schema.ts';

export interface SequenceJobOptions {
  job: JobSpec;
  store: Store;
  teacher: CausalTeacher;
  /** writes the responses when the job has `sequence.generate` (the teacher's own model) */
  generator?: CausalGenerator;
  /**
   * label generated rows from their generation's recording when the generator can (default true);
   * false labels them teacher-forced, as before recordings existed (the benchmark's baseline)
   */
  recordLabels?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/** What a causal-LM dataset's spec records; `kind` tells the exporters and `eval` what it is. */
export interface SequenceDatasetSpec {
  kind: 'causal-lm';
  corpus: JobSpec['corpus'];
  corpusBytes: number | null;
  teacher: { name: string; fingerprint: string; vocabSize: number };
  spec: ReturnType<typeof sequenceSpecOf>;
  options: ReturnType<typeof sequenceOptionsOf>;
  chunkSize: number;
  /** the generation step's params and seed (the op of every generated row's provenance) */
  generate?: { op: 'generate'; params: NonNullable<SequenceJob['generate']>; seed: number | string };
}

interface Manifest {
  status: 'running' | 'done';
  rows: number;
  labelled: number;
  refused: number;
}

export function sequenceDatasetSpec(job: JobSpec, teacher: CausalTeacher): SequenceDatasetSpec {
  const s = job.sequence ?? DEFAULT_SEQUENCE_JOB;
  // a missing corpus is reported by the reader, with its path
  const bytes = corpusBytes(job.corpus.path);
  const { name, fingerprint, vocabSize } = teacher.info;
  return {
    kind: 'causal-lm',
    corpus: job.corpus,
    corpusBytes: bytes,
    teacher: { name, fingerprint, vocabSize },
    spec: sequenceSpecOf(s),
    options: sequenceOptionsOf(s),
    chunkSize: job.chunkSize,
    ...(s.generate ? { generate: { op: 'generate' as const, params: s.generate, seed: job.seed } } : {}),
  };
}

export async function runSequenceJob(opts: SequenceJobOptions): Promise<JobResult> {
  const { job, store, teacher, signal } = opts;
  await statCorpus(job.corpus.path);
  const dataset = job.dataset;
  const identity = sequenceDatasetSpec(job, teacher);
  teacher.validateSpec(identity.spec);
  const existing = store.getDataset(dataset);
  if (existing && JSON.stringify(existing.spec) !== JSON.stringify(identity)) {
    throw new DistilleryError('INVALID_INPUT', `dataset ${dataset} was made by a different job`, {
      hint: `use another dataset id, or remove it with: distillery datasets rm ${dataset}`,
      details: { stored: existing.spec, now: identity },
    });
  }
  const counts = existing ? store.datasetSequences.counts(dataset) : { rows: 0, refused: 0 };
  const result: JobResult = {
    status: 'done',
    dataset,
    records: counts.rows,
    examples: counts.rows - counts.refused,
    chunks: Math.ceil(counts.rows / job.chunkSize),
    resumed: counts.rows,
    computed: 0,
    cached: 0,
    invalid: 0,
    augmentSkipped: 0,
    duplicatesDropped: 0,
    filteredOut: 0,
    flagged: 0,
    refused: counts.refused,
  };
  const meter = new ProgressMeter(counts.rows);
  let totalRecords: number | undefined;
  const emit = (type: ProgressEvent['type']) =>
    opts.onProgress?.({
      type,
      dataset,
      records: result.records,
      totalRecords,
      chunks: result.chunks,
      examples: result.examples,
      computed: result.computed,
      cached: result.cached,
      invalid: result.invalid,
      resumed: result.resumed,
      ...meter.measure(result.records, totalRecords),
    });
  if ((existing?.manifest as Manifest | null)?.status === 'done') {
    totalRecords = result.records;
    emit('up-to-date');
    return { ...result, status: 'up-to-date', resumed: result.records, refusedRows: refusedRows(store, dataset) };
  }

  // every line checked before anything is stored: a malformed one stops the job here, not halfway
  const scan = newCorpusStats();
  for await (const _ of readSequenceCorpus(job.corpus, scan)) {
    // counting only
  }
  totalRecords = scan.records;
  result.invalid = scan.skipped;
  if (!existing) store.createDataset({ id: dataset, spec: identity, manifest: manifestOf(result, 'running') });
  emit('start');

  const gen = identity.generate;
  if (gen && !opts.generator) throw new Error('a job with sequence.generate needs a generator');
  const perPrompt = gen?.params.n ?? 1;
  const record = gen && opts.recordLabels !== false ? recordOptionsOf(identity, teacher, opts.generator!) : undefined;
  const commit = async (prompts: SequenceRecord[]) => {
    const generated = gen ? await generateRows(opts.generator!, prompts, gen.params, gen.seed, record) : undefined;
    const chunk = generated ? generated.flatMap((g) => ('record' in g ? [g.record] : [])) : prompts;
    const recorded = new Map(
      (generated ?? []).flatMap((g) => ('record' in g && g.recording ? [[g.record.id, g.recording] as const] : [])),
    );
    const report = await labelSequences(teacher, store, chunk, identity.spec, { ...identity.options, recorded });
    const refs = new Map(report.refs.map((r) => [r.id, r.hash]));
    const errors = new Map(report.errors.map((e) => [e.id, e]));
    for (const g of generated ?? []) if (!('record' in g)) errors.set(g.id, g);
    const ids = generated ? generated.map((g) => ('record' in g ? g.record.id : g.id)) : chunk.map((r) => r.id);
    const rows: DatasetSequenceRow[] = ids.map((id) => {
      const r = { id };
      const hash = refs.get(r.id);
      if (hash !== undefined) return { id: r.id, hash };
      const e = errors.get(r.id)!;
      return { id: r.id, field: e.field, message: e.message };
    });
    result.records += rows.length;
    result.examples += report.refs.length;
    result.refused = (result.refused ?? 0) + rows.length - report.refs.length;
    result.computed += report.computed;
    result.recorded = (result.recorded ?? 0) + report.recorded;
    result.cached += report.cached;
    result.chunks++;
    store.datasetSequences.add(dataset, rows, manifestOf(result, 'running'));
    emit('chunk');
  };

  // whole prompts only: a chunk's generated rows commit together, n per prompt
  let skip = counts.rows / perPrompt;
  let chunk: SequenceRecord[] = [];
  for await (const record of readSequenceCorpus(job.corpus, newCorpusStats())) {
    if (skip > 0) {
      skip--;
      continue;
    }
    if (signal?.aborted) break;
    chunk.push(record);
    if (chunk.length < job.chunkSize) continue;
    await commit(chunk);
    chunk = [];
  }
  if (chunk.length > 0 && !signal?.aborted) await commit(chunk);
  if (signal?.aborted) {
    emit('cancelled');
    return { ...result, status: 'cancelled' };
  }
  store.setDatasetManifest(dataset, manifestOf(result, 'done'));
  emit('done');
  return { ...result, refusedRows: refusedRows(store, dataset) };
}

/**
 * How the generator records for this job's labels, or undefined when it cannot: a generator that is
 * another model (or the same one under another fingerprint: dtype, context), a graph without the
 * recording head, or a spec asking for hidden states. Those rows are labelled teacher-forced.
 */
export function recordOptionsOf(
  identity: SequenceDatasetSpec,
  teacher: CausalTeacher,
  generator: CausalGenerator,
): RecordOptions | undefined {
  const { spec, options } = identity;
  if (generator.fingerprint !== teacher.info.fingerprint || !generator.recordable || spec.hidden) return undefined;
  return {
    temperature: spec.temperature,
    support: teacher.support(spec),
    alternative: options.appendEos ? (teacher.encoder.eosId ?? -1) : -1,
    tail: options.appendEos,
  };
}

const manifestOf = (r: JobResult, status: Manifest['status']): Manifest => ({
  status,
  rows: r.records,
  labelled: r.examples,
  refused: r.refused ?? 0,
});

function refusedRows(store: Store, dataset: string): NonNullable<JobResult['refusedRows']> {
  return store.datasetSequences
    .refused(dataset, 10)
    .map((r) => ({ id: r.id, field: r.field ?? 'input', message: r.message ?? '' }));
}
