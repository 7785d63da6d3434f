/**
 * The runner's view of src/store. The checkpoint is not a separate record: a chunk's examples are
 * appended in one transaction, originals are never dropped, and every chunk but the last is full, so the
 * count of committed originals says exactly which chunks are done. The checkpoint is therefore written in
 * the same transaction as the chunk's rows, because it *is* those rows. Only `done` lives in the manifest.
 */
import type { EncodedExampleRows, Store } from '../../store/index.ts';
import type { Example, OutputSpec, TeacherInfo, TeacherOutput, TextInput } from '../../core/types.ts';
import { StoreLabelCache } from '../../labels/index.ts';
import type { JobCheckpoint, OpChainCount, RunCounts, RunnerStore } from './ports.ts';

interface JobManifest {
  status: 'running' | 'done';
  records?: number;
  examples?: number;
  /** totals of the committed chunks, written with each chunk's rows */
  counts?: RunCounts;
}

export class StoreRunnerAdapter implements RunnerStore {
  readonly #store: Store;
  readonly #chunkSize: number;
  readonly #labels: StoreLabelCache;

  constructor(store: Store, chunkSize: number) {
    this.#store = store;
    this.#chunkSize = chunkSize;
    this.#labels = new StoreLabelCache(store);
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
    return this.#labels.missing(teacher, hashes, spec);
  }

  outputs(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec): Map<string, TeacherOutput> {
    return this.#labels.outputs(teacher, hashes, spec);
  }

  saveOutputs(
    teacher: TeacherInfo,
    spec: OutputSpec,
    entries: readonly { inputHash: string; output: TeacherOutput }[],
  ): void {
    this.#labels.saveOutputs(teacher, spec, entries);
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

  /** commitChunk's rows and running totals for rows already serialized as the store keeps them (a part's). */
  commitEncodedChunk(
    datasetId: string,
    rows: EncodedExampleRows,
    next: JobCheckpoint,
    opCounts: readonly OpChainCount[] = [],
  ): void {
    const manifest: JobManifest = { status: 'running', ...(next.counts ? { counts: next.counts } : {}) };
    if (rows.ids.length > 0)
      this.#store.addEncodedExamples(datasetId, rows, { opStats: opCounts, ...(next.counts ? { manifest } : {}) });
  }

  inputHash(input: TextInput): string {
    return this.#labels.inputHash(input);
  }
}
