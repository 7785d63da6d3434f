/**
 * Exports a stored dataset for trainers: Parquet shards, safetensors shards or JSONL, each with a
 * manifest (`<prefix>.<format>.manifest.json`) beside the files. Streaming and deterministic: the
 * same dataset gives the same bytes, and memory holds one row group at a time.
 */
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { DistilleryError } from '../core/errors.ts';
import { runSteps, runStepsYielding } from '../core/steps.ts';
import type { ExportSource } from '../store/index.ts';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportManifest,
  type ExportOptions,
  type ExportResult,
  type WriterResult,
  type WriterSteps,
} from './export-options.ts';
import { planExport, type ExportPlan } from './export-plan.ts';
import { jsonlLines, writeJsonl } from './jsonl-export.ts';
import { writeParquet } from './parquet-export.ts';
import { safetensorsTensorNames, writeSafetensors } from './safetensors-export.ts';

export type { ExportFormat, ExportManifest, ExportOptions, ExportResult, ExportedFile } from './export-options.ts';
export { EXPORT_FORMATS } from './export-options.ts';
export { planExport, probsColumn, hiddenColumn, type ExportPlan, type HiddenDtype } from './export-plan.ts';
export { exportEnsemble, type EnsembleExport, type EnsembleMember } from './ensemble-export.ts';
// causal-LM per-token targets (issue 14): DistillKit-schema Parquet and dense safetensors
export {
  exportSequencesParquet,
  sequenceParquetColumns,
  sequenceParquetValues,
  IGNORE_LABEL,
  TOP_VALUE_PAD,
  type SequenceExportRow,
  type SequenceParquetOptions,
  type SequenceParquetResult,
} from './sequence-parquet.ts';
export { exportSequencesSafetensors, type SequenceSafetensorsOptions } from './sequence-safetensors.ts';
export { storedSequenceRows, type SequenceRowRef } from './sequence-rows.ts';
export { exportSequencesJsonl, sequenceJsonlLine, type SequenceJsonlOptions } from './sequence-jsonl.ts';

const WRITERS: Readonly<
  Record<ExportFormat, (store: ExportSource, plan: ExportPlan, opts: ExportOptions) => WriterSteps>
> = Object.freeze({ parquet: writeParquet, safetensors: writeSafetensors, jsonl: writeJsonl });

function checkFormat(format: string): asserts format is ExportFormat {
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) {
    throw new DistilleryError('INVALID_INPUT', `unknown export format '${format}'`, {
      hint: `use one of: ${EXPORT_FORMATS.join(', ')}`,
    });
  }
}

export const manifestName = (prefix: string, format: ExportFormat): string => `${prefix}.${format}.manifest.json`;

interface PreparedExport {
  plan: ExportPlan;
  outDir: string;
  prefix: string;
  steps: WriterSteps;
}

function prepareExport(store: ExportSource, datasetId: string, opts: ExportOptions): PreparedExport {
  checkFormat(opts.format);
  const plan = planExport(store, datasetId, {
    ...(opts.teacher !== undefined && { teacher: opts.teacher }),
    ...(opts.temperatures !== undefined && { temperatures: opts.temperatures }),
    // JSON has no float16: JSONL always carries float32 values
    ...(opts.format === 'jsonl'
      ? { hiddenDtype: 'float32' as const }
      : opts.hiddenDtype !== undefined && { hiddenDtype: opts.hiddenDtype }),
  });
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  // shards of an earlier, larger export would be picked up by a `*.parquet` glob: remove them
  const prefix = opts.prefix ?? datasetId;
  const stale = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{5}\\.${opts.format}(\\.partial)?$`);
  for (const f of readdirSync(outDir)) if (stale.test(f)) rmSync(join(outDir, f));
  return { plan, outDir, prefix, steps: WRITERS[opts.format](store, plan, { ...opts, outDir }) };
}

function writeManifest(
  datasetId: string,
  opts: ExportOptions,
  prepared: PreparedExport,
  result: WriterResult,
): ExportResult {
  const { plan, outDir, prefix } = prepared;
  const manifest: ExportManifest = {
    format: opts.format,
    dataset: datasetId,
    rows: result.rows,
    skippedUnlabelled: result.skipped,
    teachers: [plan.fingerprint],
    outputSpec: plan.spec,
    columns: opts.format === 'safetensors' ? safetensorsTensorNames(plan) : plan.columns.map((c) => c.name),
    files: result.files,
    command: opts.command ?? `distillery export ${datasetId} --format ${opts.format} --out ${opts.outDir}`,
  };
  const manifestPath = join(outDir, manifestName(prefix, opts.format));
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, manifestPath };
}

/** Writes the export in one go (the CLI and jobs: nothing else waits on this thread). */
export function exportDataset(store: ExportSource, datasetId: string, opts: ExportOptions): ExportResult {
  const prepared = prepareExport(store, datasetId, opts);
  return writeManifest(datasetId, opts, prepared, runSteps(prepared.steps));
}

/**
 * The same export, letting the event loop run every few hundred rows: a server keeps answering
 * (health checks, other requests) while a large dataset is written.
 */
export async function exportDatasetYielding(
  store: ExportSource,
  datasetId: string,
  opts: ExportOptions,
): Promise<ExportResult> {
  const prepared = prepareExport(store, datasetId, opts);
  return writeManifest(datasetId, opts, prepared, await runStepsYielding(prepared.steps));
}

export interface ExportStream {
  filename: string;
  contentType: string;
  /** the file's bytes; temp files (Parquet / safetensors) are removed when it ends or is destroyed */
  stream: Readable;
}

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = Object.freeze({
  parquet: 'application/vnd.apache.parquet',
  safetensors: 'application/octet-stream',
  jsonl: 'application/x-ndjson',
});

/**
 * One export file as a stream, for `GET /v1/datasets/:id/export?format=...`. JSONL is generated
 * while it is read; Parquet and safetensors (whose footer / header need the whole file) are
 * written to a temp file first, then streamed from disk.
 */
export async function exportStream(
  store: ExportSource,
  datasetId: string,
  opts: { format: string; teacher?: string; temperatures?: number[] },
): Promise<ExportStream> {
  checkFormat(opts.format);
  const format = opts.format;
  const filename = `${datasetId}.${format}`;
  if (format === 'jsonl') {
    const plan = planExport(store, datasetId, {
      ...(opts.teacher !== undefined && { teacher: opts.teacher }),
      ...(opts.temperatures !== undefined && { temperatures: opts.temperatures }),
      hiddenDtype: 'float32',
    });
    const lines = jsonlLines(store, plan);
    const stream = Readable.from(
      (function* () {
        for (const line of lines) if (line !== undefined) yield line;
      })(),
      { objectMode: false },
    );
    return { filename, contentType: CONTENT_TYPES.jsonl, stream };
  }
  const dir = mkdtempSync(join(tmpdir(), 'distillery-export-'));
  try {
    const { manifest } = await exportDatasetYielding(store, datasetId, {
      format,
      outDir: dir,
      shardRows: Number.MAX_SAFE_INTEGER,
      prefix: datasetId,
      ...(opts.teacher !== undefined && { teacher: opts.teacher }),
      ...(opts.temperatures !== undefined && { temperatures: opts.temperatures }),
    });
    const file = manifest.files[0];
    if (!file) {
      // nothing labelled: an empty export is still a valid file for JSONL only
      throw new DistilleryError('NOT_FOUND', `dataset '${datasetId}' has no labelled examples to export`, {
        hint: 'label it first',
      });
    }
    const stream = createReadStream(join(dir, file.path));
    const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
    stream.once('close', cleanup);
    return { filename, contentType: CONTENT_TYPES[format], stream };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Reads a manifest written by exportDataset. */
export function readManifest(path: string): ExportManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as ExportManifest;
}
