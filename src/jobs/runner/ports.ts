/**
 * What the runner needs from the store and the augmentation engine. Adapters in this folder bind them
 * to src/store and src/augment; the runner itself never touches SQL or ops.
 */
import type { Example, OutputSpec, TeacherInfo } from '../../core/types.ts';
import type { LabelCache } from '../../labels/index.ts';

/** Where a job stands, as last committed. */
export interface JobCheckpoint {
  /** chunks fully committed (examples and outputs) */
  chunks: number;
  /** corpus records consumed by those chunks (after the shard filter) */
  records: number;
  examples: number;
  done: boolean;
  /** what the committed chunks counted, so a resumed run reports the same totals as an uninterrupted one */
  counts?: RunCounts;
}

/** Per-dataset totals a job accumulates chunk by chunk. */
export interface RunCounts {
  augmentSkipped: number;
  duplicatesDropped: number;
  filteredOut: number;
  flagged: number;
}

/** Augmentations of one op chain (src/core/op-chain.ts) in a chunk: made before any dedupe, and dropped as duplicates. */
export interface OpChainCount {
  op: string;
  produced: number;
  duplicates: number;
}

/** The store as the runner sees it: the labelling gate's cache plus datasets and checkpoints. */
export interface RunnerStore extends LabelCache {
  /** The job spec a dataset was made with, or undefined when the dataset does not exist. */
  datasetSpec(datasetId: string): unknown | undefined;
  /** Create the dataset (recording the job spec that makes it) unless it exists. */
  ensureDataset(datasetId: string, spec: unknown): void;
  checkpoint(datasetId: string): JobCheckpoint | undefined;
  registerTeacher(datasetId: string, info: TeacherInfo, spec: OutputSpec): void;
  /** Append a chunk's examples and per-op counts and advance the checkpoint in one transaction: all or nothing. */
  commitChunk(
    datasetId: string,
    examples: readonly Example[],
    next: JobCheckpoint,
    opCounts?: readonly OpChainCount[],
  ): void;
}

export interface AugmentOutcome {
  /** new examples, each right after the ones before it from the same parent, parents in input order */
  examples: Example[];
  /** attempts an op could not apply (counted, never stored) */
  skipped: number;
  /** per op chain, augmentations the augmenter itself dropped as duplicates (they are not in `examples`) */
  duplicatesByChain?: Record<string, number>;
}

/** Runs the job's recipe over a chunk of originals. Each example draws from its own seeded stream. */
export interface ChunkAugmenter {
  augment(originals: readonly Example[], signal?: AbortSignal): Promise<AugmentOutcome>;
}
