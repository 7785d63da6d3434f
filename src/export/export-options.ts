/** Options and results shared by every export format. */
import type { Steps } from '../core/steps.ts';
import type { OutputSpec } from '../core/types.ts';
import type { HiddenDtype } from './export-plan.ts';

export type ExportFormat = 'parquet' | 'safetensors' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze(['parquet', 'safetensors', 'jsonl']);

export interface ExportOptions {
  format: ExportFormat;
  outDir: string;
  /** teacher fingerprint; defaults to the dataset's only linked teacher */
  teacher?: string;
  /** temperatures for probs_t* columns; defaults to the dataset's output spec */
  temperatures?: number[];
  /** rows per shard file; @default 100_000 */
  shardRows?: number;
  /** rows per Parquet row group; @default 8192 */
  rowGroupRows?: number;
  /** Parquet codec for text and small columns (snappy is the one every reader has); @default 'snappy' */
  compression?: 'snappy' | 'gzip' | 'none';
  /**
   * Also gzip long float lists (hidden states). Off by default: float mantissas barely compress
   * (a few %), and compressing them would cost most of the export time.
   */
  compressFloatLists?: boolean;
  hiddenDtype?: HiddenDtype;
  /** file name prefix; @default the dataset id */
  prefix?: string;
  /** the command line recorded in the manifest */
  command?: string;
}

export interface ExportedFile {
  /** relative to outDir */
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ExportManifest {
  format: ExportFormat;
  dataset: string;
  rows: number;
  /** examples without every requested output cached: not exported */
  skippedUnlabelled: number;
  teachers: string[];
  outputSpec: OutputSpec;
  columns: string[];
  files: ExportedFile[];
  command: string;
}

export interface ExportResult {
  manifest: ExportManifest;
  /** absolute path of the manifest file */
  manifestPath: string;
}

/** What a format writer returns once its generator is drained. */
export interface WriterResult {
  files: ExportedFile[];
  rows: number;
  skipped: number;
}

/**
 * Format writers are generators that yield every STEP_ROWS rows: the CLI drains them in one go,
 * the HTTP service lets its event loop run between steps (a large export takes seconds).
 */
export type WriterSteps = Steps<WriterResult>;
