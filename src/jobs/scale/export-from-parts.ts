/**
 * Finalize without the store: the job's exports (Parquet / safetensors / JSONL, each with its manifest)
 * written straight from the parts in chunk order, for datasets too big for one SQLite file. Nothing is
 * written to a store, so a rerun after a crash writes the same files again from the same parts.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { ExportResult } from '../../export/index.ts';
import { exportLabelledTargets } from '../export-targets.ts';
import type { JobSpec } from '../job-schema.ts';
import { orderedResults } from './chunk-parts.ts';
import type { ChunkResult } from './finalize.ts';
import { PartsDatasetReader, type PartsTotals } from './parts-reader.ts';

export interface PartsCheck extends PartsTotals {
  dataset: string;
  chunks: number;
}

/** Refuses, before anything runs, a job whose targets --export-only cannot write. */
export function checkExportOnlyJob(job: JobSpec): void {
  if (job.export.length === 0)
    throw new DistilleryError(
      'INVALID_INPUT',
      `job ${job.dataset} has no export targets: --export-only would write nothing`,
      {
        hint: 'add an export: list to the job file, or finalize into the store (drop --export-only)',
      },
    );
  if (job.export.some((t) => t.average))
    throw new DistilleryError(
      'INVALID_INPUT',
      '--export-only cannot write export.average targets (ensemble probabilities)',
      {
        hint: 'finalize into the store (drop --export-only), or remove average: true from the target',
      },
    );
}

const readerOf = (job: JobSpec, partsDir: string, results: readonly ChunkResult[]) => {
  const { sorted, infos } = orderedResults(results);
  return { reader: new PartsDatasetReader(job, partsDir, sorted, infos), chunks: sorted.length };
};

/** Reads and checks every part, as the export will: what finalize does on the queue before it reports done. */
export function checkPartsForExport(job: JobSpec, partsDir: string, results: readonly ChunkResult[]): PartsCheck {
  checkExportOnlyJob(job);
  const { reader, chunks } = readerOf(job, partsDir, results);
  return { dataset: job.dataset, chunks, ...reader.verify() };
}

export function exportFromParts(
  job: JobSpec,
  partsDir: string,
  results: readonly ChunkResult[],
  command: string,
): PartsCheck & { exports: ExportResult[] } {
  checkExportOnlyJob(job);
  const { reader, chunks } = readerOf(job, partsDir, results);
  const totals = reader.verify();
  const exports = exportLabelledTargets(reader, job, job.dataset, command);
  return { dataset: job.dataset, chunks, ...totals, exports };
}
