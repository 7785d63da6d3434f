/** JSONL: one object per labelled example with the Parquet column names, for small sets and inspection. */
import type { ExportSource } from '../store/index.ts';
import { STEP_ROWS } from '../core/steps.ts';
import type { ExportedFile, ExportOptions, WriterSteps } from './export-options.ts';
import type { ExportPlan } from './export-plan.ts';
import { checkPositiveInt, ShardFile, shardName } from './shards.ts';

/** One JSON line (with newline) per labelled row, undefined for an unlabelled row. */
export function* jsonlLines(store: ExportSource, plan: ExportPlan): Generator<string | undefined> {
  const names = plan.columns.map((c) => c.name);
  for (const row of store.iterateLabelled(plan.datasetId, plan.fingerprint, plan.spec, { prefetch: true })) {
    if (!row.output) {
      yield undefined;
      continue;
    }
    const values = plan.values(row);
    const obj: Record<string, unknown> = {};
    names.forEach((name, i) => {
      const v = values[i];
      obj[name] = typeof v === 'bigint' ? Number(v) : ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v;
    });
    yield `${JSON.stringify(obj)}\n`;
  }
}

export function* writeJsonl(store: ExportSource, plan: ExportPlan, opts: ExportOptions): WriterSteps {
  const shardRows = checkPositiveInt('shardRows', opts.shardRows, 100_000);
  const prefix = opts.prefix ?? plan.datasetId;
  const files: ExportedFile[] = [];
  let shard: ShardFile | undefined;
  let inShard = 0;
  let rows = 0;
  let skipped = 0;
  try {
    for (const line of jsonlLines(store, plan)) {
      if (line === undefined) {
        if (++skipped % STEP_ROWS === 0) yield;
        continue;
      }
      shard ??= new ShardFile(opts.outDir, shardName(prefix, files.length, 'jsonl'));
      shard.sink.write(Buffer.from(line));
      if (++rows % STEP_ROWS === 0) yield;
      if (++inShard === shardRows) {
        files.push(shard.commit(inShard));
        shard = undefined;
        inShard = 0;
      }
    }
    if (shard) files.push(shard.commit(inShard));
  } catch (e) {
    shard?.discard();
    throw e;
  }
  return { files, rows, skipped };
}
