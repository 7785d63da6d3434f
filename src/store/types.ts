/** Records the store returns. */
import type { Example, OutputSpec, TeacherInfo, TeacherOutput } from '../core/types.ts';

export interface DatasetRecord {
  id: string;
  name: string;
  /** ISO 8601 */
  created: string;
  spec: unknown;
  manifest: unknown;
}

export interface NewDataset {
  /** [a-z0-9][a-z0-9._-]{0,63} */
  id: string;
  name?: string;
  spec?: unknown;
  manifest?: unknown;
}

export interface StoredExample extends Example {
  /** position in the dataset: the deterministic export order */
  ordinal: number;
  /** sha256 hex of the normalized input */
  inputHash: string;
}

export interface AddExamplesResult {
  inserted: number;
  /** ids already in the dataset (re-adding a batch is a no-op, so resumed jobs are safe) */
  skipped: number;
}

/** Augmentation counts of one op chain in a dataset (key: src/core/op-chain.ts). */
export interface OpStat {
  op: string;
  /** augmentations the recipe made, before duplicates were dropped */
  produced: number;
  /** of those, dropped as duplicates of their original or an earlier sibling */
  duplicates: number;
}

export interface AddExamplesOptions {
  /** per-op counts of this batch, added to the dataset's in the same transaction as its rows */
  opStats?: readonly OpStat[];
  /** replaces the dataset's manifest in the same transaction as its rows (a job's running totals) */
  manifest?: unknown;
}

/**
 * Examples already serialized as the store keeps them, one array per column (a part's rows, parsed on
 * another thread): label and origin as JSON text, the origin's kind beside it for the checks.
 */
export interface EncodedExampleRows {
  ids: readonly string[];
  texts: readonly string[];
  pairs: readonly (string | null)[];
  /** JSON text of a string or number label; null where none */
  labels: readonly (string | null)[];
  /** JSON text of each Origin */
  origins: readonly string[];
  kinds: readonly (string | null)[];
  /** each row's input hash (inputHash()) as its 32 bytes, back to back */
  inputHashes: Uint8Array;
}

export interface OutputEntry {
  inputHash: string;
  output: TeacherOutput;
}

/** A teacher output as the store's encoded blobs (a part file's), one per component. */
export interface EncodedOutputEntry {
  /** hex, or its 32 bytes */
  inputHash: string | Uint8Array;
  tokens: number;
  truncated: boolean;
  components: readonly { component: string; blob: Buffer }[];
}

export interface DatasetTeacher {
  fingerprint: string;
  spec: OutputSpec;
  info: TeacherInfo | undefined;
}

export interface DatasetStats {
  id: string;
  examples: number;
  originals: number;
  augmentations: number;
  /** distinct normalized inputs (what a teacher must label) */
  uniqueInputs: number;
  teachers: {
    fingerprint: string;
    spec: OutputSpec;
    /** examples that have every component of the teacher's spec cached */
    labelled: number;
    /** per component: examples with it cached */
    components: Record<string, number>;
    /** bytes of cached output blobs for this dataset's distinct inputs */
    bytes: number;
  }[];
}

/** One page of a dataset with the teacher outputs of each example (undefined when not labelled). */
export interface LabelledRow {
  example: StoredExample;
  output: TeacherOutput | undefined;
  /**
   * Only with iterateLabelled's `float16Hidden`: the stored binary16 bits of each hidden-state
   * component cached as fp16, keyed by component name; those components are then not decoded
   * into `output.hidden`.
   */
  float16Hidden?: ReadonlyMap<string, Uint16Array>;
}
