/**
 * The runner's store port bound to src/store, for jobs the dashboard starts. The checkpoint lives in the
 * dataset manifest and is written right after the chunk's examples, in a second transaction: a crash
 * between the two re-adds a chunk whose rows are then skipped as already present (ids are unique), so
 * nothing is duplicated; the pipeline branch's own adapter should replace this one when it lands.
 */
import type { Example, OutputSpec, TeacherInfo, TeacherOutput } from '../../core/types.ts';
import type { JobCheckpoint, RunnerStore } from '../../jobs/runner/ports.ts';
import { inputHash, type Store } from '../../store/index.ts';

export interface DashboardManifest {
  checkpoint?: JobCheckpoint;
  /** the augmentation engine's counters (per op: produced, skipped, duplicates), summed over chunks */
  augmentStats?: unknown;
  [extra: string]: unknown;
}

export function manifestOf(store: Store, datasetId: string): DashboardManifest {
  const m = store.getDataset(datasetId)?.manifest;
  return m && typeof m === 'object' ? { ...(m as DashboardManifest) } : {};
}

export function storeRunnerAdapter(store: Store): RunnerStore {
  return {
    datasetSpec: (id) => store.getDataset(id)?.spec ?? undefined,
    ensureDataset(id, spec) {
      if (!store.getDataset(id)) store.createDataset({ id, spec });
    },
    checkpoint: (id) => (store.getDataset(id) ? manifestOf(store, id).checkpoint : undefined),
    registerTeacher(datasetId: string, info: TeacherInfo, spec: OutputSpec) {
      store.registerTeacher(info);
      store.linkTeacher(datasetId, info.fingerprint, spec);
    },
    missing(teacher, hashes, spec) {
      const out = new Map<string, OutputSpec>();
      for (const hash of store.missingComponents(teacher.fingerprint, hashes, spec).keys()) out.set(hash, spec);
      return out;
    },
    outputs: (teacher, hashes, spec): Map<string, TeacherOutput> => store.getOutputs(teacher.fingerprint, hashes, spec),
    saveOutputs(teacher, spec, entries) {
      store.putOutputs(teacher.fingerprint, entries, { encoding: spec.encoding });
    },
    commitChunk(datasetId: string, examples: readonly Example[], next: JobCheckpoint) {
      if (examples.length > 0) store.addExamples(datasetId, examples);
      store.setDatasetManifest(datasetId, { ...manifestOf(store, datasetId), checkpoint: next });
    },
    inputHash: (input) => inputHash(input),
  };
}
