/**
 * The finalize step: the chunks' parts merged, in chunk order, into the coordinator's store as the
 * dataset `distillery run` would have made (same rows, order, outputs, counts and recorded job), so the
 * exports written from it are the same bytes. Whole chunks commit together, up to GROUP_ROWS rows per
 * transaction, each chunk's outputs written just before its rows as the runner writes them; a finalize
 * killed halfway resumes after the last committed chunk. The parts are read, checked and parsed on a
 * worker thread (part-prefetch.ts), so this thread spends its time in SQLite's inserts.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { OutputSpec, TeacherInfo, TeacherRunner } from '../../core/types.ts';
import { outputSpecOf, type JobSpec } from '../job-schema.ts';
import type { JobCheckpoint, RunCounts } from '../runner/ports.ts';
import { jobIdentity, type JobTeacher } from '../runner/run-job.ts';
import { StoreRunnerAdapter } from '../runner/store-adapter.ts';
import { inputHash, type EncodedOutputEntry, type Store } from '../../store/index.ts';
import { checkPartOf, orderedResults } from './chunk-parts.ts';
import { PartPrefetcher, type OutputColumns, type PartRows } from './part-prefetch.ts';

/** What a worker reports for a chunk (the BullMQ job's return value). */
export interface ChunkResult {
  chunk: number;
  part: string;
  sha256: string;
  bytes: number;
  examples: number;
  computed: number;
  cached: number;
  /** the teachers as the worker loaded them, job order; none for a causal-LM chunk (its part names its teacher) */
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
  /** a causal-LM job's rows (records and examples then count rows and labelled rows) */
  sequence?: { rows: number; refused: number };
  /** finalize `exports` (no store): the checked parts the exports are then written from */
  exportOnly?: { teachers: TeacherInfo[]; parts: { chunk: number; part: string; sha256: string; bytes: number }[] };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface MergeOptions {
  /** called after each commit with the number of chunks committed so far */
  onChunk?: (committed: number) => void;
  /** rows per transaction (whole chunks; default 50,000); 1 commits every chunk alone */
  groupRows?: number;
}

export function mergeParts(
  store: Store,
  job: JobSpec,
  partsDir: string,
  results: readonly ChunkResult[],
  opts: MergeOptions = {},
): FinalizeResult {
  const groupRows = opts.groupRows ?? GROUP_ROWS;
  const { sorted, infos } = orderedResults(results);
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
  const mergeChunk = (r: ChunkResult, part: PartRows): number => {
    checkPartOf(r, part, dataset);
    // the worker's encoded blobs go in as they are: the store keeps the bytes the worker wrote
    for (const t of part.teachers)
      store.putEncodedOutputs(t.fingerprint, outputEntries(t, part.data), { encoding: t.encoding });
    const { examples: ex, counts } = part;
    const c = state.counts!;
    state = {
      chunks: r.chunk + 1,
      records: state.records + part.records,
      examples: state.examples + ex.ids.length,
      done: false,
      counts: {
        augmentSkipped: c.augmentSkipped + counts.augmentSkipped,
        duplicatesDropped: c.duplicatesDropped + counts.duplicatesDropped,
        filteredOut: c.filteredOut + counts.filteredOut,
        flagged: c.flagged + counts.flagged,
      },
    };
    const inputHashes = ex.hashes ?? Buffer.concat(ex.texts.map((text, i) => hashOf(text, ex.pairs[i]!)));
    adapter.commitEncodedChunk(dataset, { ...ex, inputHashes }, state, part.opCounts);
    computed += r.computed;
    cached += r.cached;
    return ex.ids.length;
  };
  const todo = sorted.slice(start.chunks);
  // read, checked and parsed on a worker thread while this one inserts the parts before them
  const parts = todo.length > 0 ? new PartPrefetcher(partsDir, todo, GROUP_BYTES) : undefined;
  try {
    for (let i = 0; i < todo.length;) {
      // Several whole chunks per transaction: a commit writes every index page it dirtied to the WAL, and
      // random input hashes dirty most of them, so fewer, larger commits write far less. Killed halfway,
      // a finalize still resumes after the last committed chunk.
      const first = i;
      store.transaction(() => {
        let rows = 0;
        let bytes = 0;
        do {
          rows += mergeChunk(todo[i]!, parts!.nextRows());
          bytes += todo[i]!.bytes;
          i++;
        } while (i < todo.length && rows < groupRows && bytes < GROUP_BYTES);
      });
      for (let k = first; k < i; k++) opts.onChunk?.(todo[k]!.chunk + 1);
    }
  } finally {
    parts?.close();
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

/** rows merged per transaction (whole chunks) */
const GROUP_ROWS = 50_000;
/** part bytes merged per transaction: large outputs (hidden states) fill SQLite's page cache sooner */
const GROUP_BYTES = 64 * 1024 * 1024;

/** A teacher's outputs in a part as the store's entries, blobs as views of the part's bytes. */
function outputEntries(t: OutputColumns, data: ArrayBuffer): EncodedOutputEntry[] {
  const entries: EncodedOutputEntry[] = new Array(t.perOutput.length);
  for (let o = 0, j = 0; o < entries.length; o++) {
    const components: { component: string; blob: Buffer }[] = [];
    for (let k = 0; k < t.perOutput[o]!; k++, j++)
      components.push({ component: t.names[t.component[j]!]!, blob: Buffer.from(data, t.starts[j]!, t.lens[j]!) });
    const inputHash = t.hashes.subarray(32 * o, 32 * o + 32);
    entries[o] = { inputHash, tokens: t.tokens[o]!, truncated: t.truncated[o] === 1, components };
  }
  return entries;
}

const hashOf = (text: string, textPair: string | null): Buffer =>
  Buffer.from(inputHash(textPair === null ? { text } : { text, textPair }), 'hex');

const zero = (): RunCounts => ({ augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 });
