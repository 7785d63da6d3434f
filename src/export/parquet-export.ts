/** Parquet shards: one row per labelled example, row groups streamed to disk. */
import type { ExportSource } from '../store/index.ts';
import { STEP_ROWS } from '../core/steps.ts';
import type { ExportedFile, ExportOptions, WriterSteps } from './export-options.ts';
import type { ExportPlan } from './export-plan.ts';
import { ParquetFileWriter, type Codec, type ParquetColumn } from './parquet/parquet-file-writer.ts';
import { checkPositiveInt, ShardFile, shardName } from './shards.ts';

/** Yields every few hundred rows so an async caller can let other work run (see export/index.ts). */
export function* writeParquet(store: ExportSource, plan: ExportPlan, opts: ExportOptions): WriterSteps {
  const shardRows = checkPositiveInt('shardRows', opts.shardRows, 100_000);
  const groupRows = Math.min(shardRows, checkPositiveInt('rowGroupRows', opts.rowGroupRows, 8192));
  const prefix = opts.prefix ?? plan.datasetId;
  const codec: Codec = { snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' }[opts.compression ?? 'snappy'] as Codec;
  const floatList = (c: ParquetColumn): boolean =>
    c.kind === 'list' && (c.element === 'FLOAT' || c.element === 'FLOAT16') && c.name.startsWith('hidden_');
  const codecFor = (c: ParquetColumn): Codec => (floatList(c) && !opts.compressFloatLists ? 'UNCOMPRESSED' : codec);
  const kv = {
    'distillery.dataset': plan.datasetId,
    'distillery.teacher_fingerprint': plan.fingerprint,
    'distillery.output_spec': JSON.stringify(plan.spec),
  };

  const files: ExportedFile[] = [];
  let shard: { file: ShardFile; writer: ParquetFileWriter } | undefined;
  let rows = 0;
  let skipped = 0;

  const closeShard = (): void => {
    if (!shard) return;
    shard.writer.finish(kv);
    files.push(shard.file.commit(shard.writer.rows));
    shard = undefined;
  };

  try {
    for (const row of store.iterateLabelled(plan.datasetId, plan.fingerprint, plan.spec, {
      float16Hidden: plan.hiddenDtype === 'float16',
      prefetch: true,
    })) {
      if (!row.output) {
        if (++skipped % STEP_ROWS === 0) yield;
        continue;
      }
      if (!shard) {
        const file = new ShardFile(opts.outDir, shardName(prefix, files.length, 'parquet'));
        shard = { file, writer: new ParquetFileWriter(file.sink, plan.columns, codecFor) };
      }
      shard.writer.appendRow(plan.values(row));
      rows++;
      if (rows % shardRows === 0) closeShard();
      else if (shard.writer.pendingRows >= groupRows) shard.writer.flushRowGroup();
      if (rows % STEP_ROWS === 0) yield;
    }
    closeShard();
  } catch (e) {
    shard?.file.discard();
    throw e;
  }
  return { files, rows, skipped };
}
