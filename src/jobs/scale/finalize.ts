/**
 * The finalize step: the chunks' parts merged, in chunk order, into the coordinator's store as the
 * dataset `distillery run` would have made (same rows, order, outputs, counts and recorded job), so the
 * exports written from it are the same bytes. Each chunk commits in one transaction with its outputs
 * written just before, like the runner's; a finalize killed halfway resumes after the last committed
 * chunk.
 */
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { OutputSpec, TeacherInfo, TeacherRunner } from '../../core/types.ts';
import { outputSpecOf, type JobSpec } from '../job-schema.ts';
import type { JobCheckpoint, RunCounts } from '../runner/ports.ts';
import { jobIdentity, type JobTeacher } from '../runner/run-job.ts';
import { StoreRunnerAdapter } from '../runner/store-adapter.ts';
import { decodeTeacherOutput, parseComponent, type Store } from '../../store/index.ts';
import { readPart } from './part-file.ts';

/** What a worker reports for a chunk (the BullMQ job's return value). */
export interface ChunkResult {
  chunk: number;
  part: string;
  sha256: string;
  bytes: number;
  examples: number;
  computed: number;
  cached: number;
  /** the teachers as the worker loaded them, job order */
  teachers: TeacherInfo[];
  worker: string;
  seconds: number;
}

export interface FinalizeResult {
  status: 'done' | 'up-to-date';
  dataset: string;
  records: number;
  examples: number;
  chunks: number;
  computed: number;
  cached: number;
  counts: RunCounts;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function mergeParts(
  store: Store,
  job: JobSpec,
  partsDir: string,
  results: readonly ChunkResult[],
  onChunk?: (committed: number) => void,
): FinalizeResult {
  const sorted = [...results].sort((a, b) => a.chunk - b.chunk);
  sorted.forEach((r, i) => {
    if (r.chunk !== i) throw new DistilleryError('INTERNAL', `chunk ${i} has no result`);
  });
  const infos = sorted[0]?.teachers ?? [];
  for (const r of sorted) {
    const fps = r.teachers.map((t) => t.fingerprint);
    if (
      !sameJson(
        fps,
        infos.map((t) => t.fingerprint),
      )
    )
      throw new DistilleryError(
        'INVALID_INPUT',
        `worker ${r.worker} labelled chunk ${r.chunk} with other teacher files (${fps.join(', ')}) than chunk 0 (${infos.map((t) => t.fingerprint).join(', ')})`,
        { hint: 'give every worker the same model files' },
      );
  }
  const teachers: JobTeacher[] = infos.map((info, i) => ({
    runner: { info } as TeacherRunner,
    weight: job.teachers[i]?.weight ?? 1,
  }));
  const dataset = job.dataset;
  const identity = jobIdentity(job, teachers);
  const spec: OutputSpec = outputSpecOf(job);
  const adapter = new StoreRunnerAdapter(store, job.chunkSize);
  const existing = adapter.datasetSpec(dataset);
  if (existing !== undefined && !sameJson(existing, identity))
    throw new DistilleryError('INVALID_INPUT', `dataset ${dataset} was made by a different job`, {
      hint: `use another dataset id, or remove it with: distillery datasets rm ${dataset}`,
    });
  const start: JobCheckpoint = adapter.checkpoint(dataset) ?? { chunks: 0, records: 0, examples: 0, done: false };
  const totals = (s: JobCheckpoint) => ({ computed: 0, cached: 0, counts: s.counts ?? zero() });
  if (start.done)
    return {
      status: 'up-to-date',
      dataset,
      records: start.records,
      examples: start.examples,
      chunks: start.chunks,
      ...totals(start),
    };
  adapter.ensureDataset(dataset, identity);
  for (const t of teachers) adapter.registerTeacher(dataset, t.runner.info, spec);

  let state: JobCheckpoint = { ...start, counts: start.counts ?? zero() };
  let computed = 0;
  let cached = 0;
  for (const r of sorted.slice(start.chunks)) {
    const { header, blobs } = readPart(path.join(partsDir, r.part), r.sha256);
    if (header.chunk !== r.chunk || header.dataset !== dataset)
      throw new DistilleryError('INVALID_INPUT', `part ${r.part} is not chunk ${r.chunk} of ${dataset}`);
    const partFps = header.teachers.map((t) => t.fingerprint);
    if (
      !sameJson(
        partFps,
        r.teachers.map((t) => t.fingerprint),
      )
    )
      throw new DistilleryError(
        'INVALID_INPUT',
        `part ${r.part} was labelled by other teacher files (${partFps.join(', ')}) than ${r.teachers.map((t) => t.fingerprint).join(', ')}`,
        { hint: 'give every worker and shard the same model files' },
      );
    header.teachers.forEach((pt, ti) => {
      const entries = pt.outputs.map((o, oi) => {
        const parts = new Map(o.components.map(([name], ci) => [name, blobs[ti]![oi]![ci]!]));
        const wanted = o.components.map(([name]) => parseComponent(name));
        const output = decodeTeacherOutput(parts, wanted, {
          logits: true,
          temperatures: [],
          tokens: o.tokens,
          truncated: o.truncated,
        });
        return { inputHash: o.inputHash, output };
      });
      store.putOutputs(pt.fingerprint, entries, { encoding: pt.encoding });
    });
    const c = state.counts!;
    state = {
      chunks: r.chunk + 1,
      records: state.records + header.records,
      examples: state.examples + header.examples.length,
      done: false,
      counts: {
        augmentSkipped: c.augmentSkipped + header.counts.augmentSkipped,
        duplicatesDropped: c.duplicatesDropped + header.counts.duplicatesDropped,
        filteredOut: c.filteredOut + header.counts.filteredOut,
        flagged: c.flagged + header.counts.flagged,
      },
    };
    adapter.commitChunk(dataset, header.examples, state, header.opCounts);
    computed += r.computed;
    cached += r.cached;
    onChunk?.(state.chunks);
  }
  adapter.commitChunk(dataset, [], { ...state, done: true });
  return {
    status: 'done',
    dataset,
    records: state.records,
    examples: state.examples,
    chunks: state.chunks,
    computed,
    cached,
    counts: state.counts!,
  };
}

const zero = (): RunCounts => ({ augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 });
