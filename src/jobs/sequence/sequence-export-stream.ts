/**
 * One export file of a causal-LM dataset as a stream, for `GET /v1/datasets/:id/export`: written to a
 * temp folder in one shard (Parquet and safetensors need the whole file for their footer / header),
 * then streamed from disk and removed when the stream ends or is destroyed.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { ExportFormat, ExportStream } from '../../export/index.ts';
import type { Store } from '../../store/index.ts';
import { sequenceDatasetOf } from './sequence-dataset.ts';
import { exportSequenceDataset } from './sequence-export.ts';

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = Object.freeze({
  parquet: 'application/vnd.apache.parquet',
  safetensors: 'application/octet-stream',
  jsonl: 'application/x-ndjson',
});

/** The stream, or undefined when the dataset was not made by a causal-LM job. */
export function sequenceExportStream(store: Store, dataset: string, format: ExportFormat): ExportStream | undefined {
  if (!sequenceDatasetOf(store, dataset)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'distillery-export-'));
  try {
    const { manifest } = exportSequenceDataset(store, dataset, {
      format,
      outDir: dir,
      prefix: dataset,
      shardRows: Number.MAX_SAFE_INTEGER,
    });
    const file = manifest.files[0];
    if (!file)
      throw new DistilleryError('NOT_FOUND', `dataset '${dataset}' has no labelled sequences to export`, {
        hint: 'run its job first; refused rows are never exported',
      });
    const stream = createReadStream(join(dir, file.path));
    stream.once('close', () => rmSync(dir, { recursive: true, force: true }));
    return { filename: `${dataset}.${format}`, contentType: CONTENT_TYPES[format], stream };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
