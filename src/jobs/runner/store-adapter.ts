/**
 * The runner's view of src/store. The checkpoint is not a separate record: a chunk's examples are
 * appended in one transaction, originals are never dropped, and every chunk but the last is full, so the
 * count of committed originals says exactly which chunks are done. The checkpoint is therefore written in
 * the same transaction as the chunk's rows, because it *is* those rows. Only `done` lives in the manifest.
 */
import { inputHash, parseComponent, type Store } from '../../store/index.ts';
import type { Example, OutputSpec, TeacherInfo, TeacherOutput } from '../../core/types.ts';
import type { JobCheckpoint, OpChainCount, RunCounts, RunnerStore } from './ports.ts';

interface JobManifest {
  status: 'running' | 'done';
  records?: number;
  examples?: number;
  /** totals of the committed chunks, written with each chunk's rows */
  counts?: RunCounts;
}

/** The sub-spec that computes exactly these components (layers named, never 'all'). */
export function specForComponents(names: readonly string[], encoding: OutputSpec['encoding']): OutputSpec {
  const spec: OutputSpec = { logits: false, temperatures: [], encoding };
  const hidden: number[] = [];
  const attn: number[] = [];
  for (const name of names) {
    const c = parseComponent(name);
    if (c.kind === 'logits') spec.logits = true;
    else if (c.kind === 'topk') spec.topK = c.k;
    else if (c.kind === 'hidden') {
      hidden.push(c.layer);
      spec.hidden = { layers: hidden, pooling: c.pooling };
    } else attn.push(c.layer);
  }
  if (attn.length > 0) spec.attentions = { layers: attn };
  return spec;
}

export class StoreRunnerAdapter implements RunnerStore {
  readonly #store: Store;
  readonly #chunkSize: number;

  constructor(store: Store, chunkSize: number) {
    this.#store = store;
    this.#chunkSize = chunkSize;
  }

  datasetSpec(datasetId: string): unknown | undefined {
    return this.#store.getDataset(datasetId)?.spec ?? undefined;
  }

  ensureDataset(datasetId: string, spec: unknown): void {
    if (this.#store.getDataset(datasetId)) return;
    this.#store.createDataset({ id: datasetId, spec, manifest: { status: 'running' } satisfies JobManifest });
  }

  checkpoint(datasetId: string): JobCheckpoint | undefined {
    const d = this.#store.getDataset(datasetId);
    if (!d) return undefined;
    const stats = this.#store.exampleCounts(datasetId);
    const manifest = (d.manifest ?? { status: 'running' }) as JobManifest;
    return {
      chunks: Math.ceil(stats.originals / this.#chunkSize),
      records: stats.originals,
      examples: stats.examples,
      done: manifest.status === 'done',
      ...(manifest.counts ? { counts: manifest.counts } : {}),
    };
  }

  registerTeacher(datasetId: string, info: TeacherInfo, spec: OutputSpec): void {
    this.#store.registerTeacher(info);
    this.#store.linkTeacher(datasetId, info.fingerprint, spec);
  }

  missing(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec): Map<string, OutputSpec> {
    const out = new Map<string, OutputSpec>();
    for (const [hash, names] of this.#store.missingComponents(teacher.fingerprint, hashes, spec)) {
      out.set(hash, specForComponents(names, spec.encoding));
    }
    return out;
  }

  outputs(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec) {
    return this.#store.getOutputs(teacher.fingerprint, hashes, spec);
  }

  saveOutputs(
    teacher: TeacherInfo,
    spec: OutputSpec,
    entries: readonly { inputHash: string; output: TeacherOutput }[],
  ): void {
    this.#store.putOutputs(teacher.fingerprint, entries, { encoding: spec.encoding });
  }

  commitChunk(
    datasetId: string,
    examples: readonly Example[],
    next: JobCheckpoint,
    opCounts: readonly OpChainCount[] = [],
  ): void {
    const counts = next.counts ? { counts: next.counts } : {};
    if (examples.length > 0) {
      const manifest: JobManifest = { status: 'running', ...counts };
      this.#store.addExamples(datasetId, examples, { opStats: opCounts, ...(next.counts ? { manifest } : {}) });
    }
    if (next.done) {
      this.#store.setDatasetManifest(datasetId, {
        status: 'done',
        records: next.records,
        examples: next.examples,
        ...counts,
      } satisfies JobManifest);
    }
  }

  inputHash(input: { text: string; textPair?: string }): string {
    return inputHash(input);
  }
}
