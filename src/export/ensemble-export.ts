/**
 * Ensemble soft labels: for a dataset labelled by several teachers, one Parquet file of the teachers'
 * probabilities averaged with the job's weights, at each temperature (`probs_t1`, ...), keyed by the
 * same `ordinal` and `id` as the per-teacher exports so a trainer can join them. Streams page by page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec } from '../core/types.ts';
import type { DatasetReader } from '../store/index.ts';
import { probsColumn } from './export-plan.ts';
import {
  ParquetFileWriter,
  type ListValue,
  type ParquetColumn,
  type ScalarValue,
} from './parquet/parquet-file-writer.ts';
import { ShardFile, shardName } from './shards.ts';

export interface EnsembleMember {
  fingerprint: string;
  weight: number;
}

export interface EnsembleExport {
  file: string;
  manifestPath: string;
  rows: number;
  skippedUnlabelled: number;
}

const PAGE = 1024;

export function exportEnsemble(
  store: DatasetReader,
  dataset: string,
  members: readonly EnsembleMember[],
  temperatures: readonly number[],
  outDir: string,
  prefix = dataset,
): EnsembleExport {
  if (members.length < 2)
    throw new DistilleryError(
      'INVALID_INPUT',
      `dataset ${dataset} has ${members.length} teacher: averaging needs two or more`,
    );
  if (temperatures.length === 0)
    throw new DistilleryError('INVALID_INPUT', 'averaging needs at least one temperature', {
      hint: 'set outputs.temperatures',
    });
  const total = members.reduce((s, m) => s + m.weight, 0);
  const spec: OutputSpec = { logits: true, temperatures: [...temperatures], encoding: 'int8' };
  const columns: ParquetColumn[] = [
    { name: 'ordinal', kind: 'scalar', type: 'INT64', optional: false },
    { name: 'id', kind: 'scalar', type: 'STRING', optional: false },
    ...temperatures.map((t): ParquetColumn => ({ name: probsColumn(t), kind: 'list', element: 'FLOAT' })),
  ];
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const name = shardName(`${prefix}.ensemble`, 0, 'parquet');
  const shard = new ShardFile(dir, name);
  const writer = new ParquetFileWriter(shard.sink, columns, () => 'SNAPPY');
  let rows = 0;
  let skipped = 0;
  let page: { ordinal: number; id: string; hash: string }[] = [];

  const flush = () => {
    if (page.length === 0) return;
    const hashes = page.map((p) => p.hash);
    const outputs = members.map((m) => store.getOutputs(m.fingerprint, hashes, spec));
    const data: (ScalarValue | ListValue)[][] = columns.map(() => []);
    for (const p of page) {
      const per = outputs.map((o) => o.get(p.hash));
      if (per.some((o) => !o?.probs)) {
        skipped++;
        continue;
      }
      data[0]!.push(BigInt(p.ordinal));
      data[1]!.push(p.id);
      temperatures.forEach((_, ti) => {
        const n = per[0]!.probs![ti]!.length;
        const mean = new Float32Array(n);
        per.forEach((o, mi) => {
          const w = members[mi]!.weight / total;
          const probs = o!.probs![ti]!;
          for (let i = 0; i < n; i++) mean[i]! += w * probs[i]!;
        });
        data[2 + ti]!.push(mean);
      });
      rows++;
    }
    if (data[0]!.length > 0) writer.writeRowGroup(data);
    page = [];
  };
  for (const e of store.iterateExamples(dataset)) {
    page.push({ ordinal: e.ordinal, id: e.id, hash: e.inputHash });
    if (page.length >= PAGE) flush();
  }
  flush();
  writer.finish({
    'distillery.dataset': dataset,
    'distillery.ensemble': JSON.stringify(members.map((m) => ({ ...m, weight: m.weight / total }))),
  });
  const file = shard.commit(writer.rows);
  const manifestPath = join(dir, `${prefix}.ensemble.manifest.json`);
  writeFileSync(
    manifestPath,
    `${JSON.stringify({ format: 'parquet', dataset, rows, skippedUnlabelled: skipped, teachers: members, temperatures, files: [file] }, null, 2)}\n`,
  );
  return { file: join(dir, name), manifestPath, rows, skippedUnlabelled: skipped };
}
