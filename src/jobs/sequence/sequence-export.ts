/**
 * Exports a causal-LM dataset (one made by a causal-LM job) from the store: DistillKit-schema Parquet,
 * dense safetensors or JSONL shards (src/export/sequence-*.ts) with a manifest beside them, rows in
 * corpus order, refused rows left out and counted. The same dataset gives the same bytes.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import {
  exportSequencesJsonl,
  exportSequencesParquet,
  exportSequencesSafetensors,
  storedSequenceRows,
  type ExportedFile,
  type ExportFormat,
  type SequenceRowRef,
} from '../../export/index.ts';
import type { DatasetSequenceRow, Store } from '../../store/index.ts';
import type { SequenceDatasetSpec } from './run-sequence-job.ts';
import { sequenceDatasetOf } from './sequence-dataset.ts';
import { generatedProvenance } from './sequence-generate.ts';

export interface SequenceExportOptions {
  format: ExportFormat;
  outDir: string;
  /** file names PREFIX-00000.EXT; default the dataset id */
  prefix?: string;
  shardRows?: number;
  /** Parquet: only DistillKit's five columns (its `prepacked` collator tensors every column) */
  distillkitOnly?: boolean;
  command?: string;
}

export interface SequenceExportResult {
  manifestPath: string;
  manifest: {
    format: ExportFormat;
    dataset: string;
    rows: number;
    refused: number;
    skippedUnlabelled: number;
    teacher: SequenceDatasetSpec['teacher'];
    outputSpec: SequenceDatasetSpec['spec'];
    files: ExportedFile[];
    command: string;
  };
}

function* labelledRefs(
  rows: Iterable<DatasetSequenceRow>,
  provenance: (id: string) => string,
  refused: { count: number },
) {
  for (const r of rows) {
    if (r.hash === undefined) refused.count++;
    else yield { id: r.id, hash: r.hash, provenance: provenance(r.id) } satisfies SequenceRowRef;
  }
}

export function exportSequenceDataset(
  store: Store,
  dataset: string,
  opts: SequenceExportOptions,
): SequenceExportResult {
  const made = sequenceDatasetOf(store, dataset);
  if (!made)
    throw new DistilleryError('INVALID_INPUT', `dataset ${dataset} was not made by a causal-LM job`, {
      hint: 'export it without the causal-LM options',
    });
  const { spec, teacher } = made;
  const outDir = resolve(opts.outDir);
  const prefix = opts.prefix ?? dataset;
  // shards of an earlier, larger export would be picked up by a glob: remove them
  const stale = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{5}\\.${opts.format}(\\.partial)?$`);
  try {
    for (const f of readdirSync(outDir)) if (stale.test(f)) rmSync(join(outDir, f));
  } catch {
    // no folder yet: the writer makes it
  }
  const refused = { count: 0 };
  const skipped = { count: 0 };
  const base = { dataset, teacher: teacher.fingerprint, spec };
  const shared = JSON.stringify(base);
  // a generated row also names its parent prompt, the op, its params, the seed and its variant
  const provenance = made.generate
    ? (id: string) => JSON.stringify({ ...base, ...generatedProvenance(id, made.generate!) })
    : () => shared;
  const rows = storedSequenceRows(
    store,
    teacher.fingerprint,
    spec,
    labelledRefs(store.datasetSequences.iterate(dataset), provenance, refused),
    skipped,
  );
  const common = { outDir, prefix, spec, ...(opts.shardRows === undefined ? {} : { shardRows: opts.shardRows }) };
  const meta = { 'distillery.dataset': dataset, 'distillery.teacher': teacher.fingerprint };
  const written =
    opts.format === 'parquet'
      ? exportSequencesParquet(rows, { ...common, metadata: meta, columns: opts.distillkitOnly ? 'distillkit' : 'all' })
      : opts.format === 'safetensors'
        ? exportSequencesSafetensors(rows, { ...common, metadata: meta })
        : exportSequencesJsonl(rows, common);
  const manifest: SequenceExportResult['manifest'] = {
    format: opts.format,
    dataset,
    rows: written.rows,
    refused: refused.count,
    skippedUnlabelled: skipped.count,
    teacher,
    outputSpec: spec,
    files: written.files,
    command: opts.command ?? `distillery export ${dataset} --format ${opts.format} --out ${opts.outDir}`,
  };
  const manifestPath = join(outDir, `${prefix}.${opts.format}.manifest.json`);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, manifestPath };
}
