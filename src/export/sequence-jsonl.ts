/**
 * JSONL of causal-LM targets, one object per sequence, for readers without Parquet: the tokens,
 * `labels` (-100 where a position is not scored, as in the Parquet export) and, per scored
 * position in `positions` order, the parts of the spec:
 *
 *   {"id", "input_ids", "labels", "positions", "lse", "topk_ids": [[...]], "topk_logprobs": [[...]],
 *    "tail_mass", "sample_ids": [[...]], "sample_counts": [[...]], "target_logprob", "target_rank",
 *    "entropy", "truncated", "provenance"}
 *
 * Floats are written with 6 significant digits (the store keeps top-k log-probs to 1/64 nat anyway).
 */
import { mkdirSync } from 'node:fs';
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import type { ExportedFile } from './export-options.ts';
import { IGNORE_LABEL, type SequenceExportRow } from './sequence-parquet.ts';
import { checkPositiveInt, ShardFile, shardName } from './shards.ts';

export interface SequenceJsonlOptions {
  outDir: string;
  prefix: string;
  spec: SequenceOutputSpec;
  /** sequences per file; default 100,000 */
  shardRows?: number;
}

const round = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v > 0 ? 1e30 : -1e30);
const floats = (a: Float32Array): number[] => Array.from(a, round);
const rowsOf = <T>(values: ArrayLike<T>, width: number, rows: number): T[][] =>
  Array.from({ length: rows }, (_, p) => Array.from({ length: width }, (_, j) => values[p * width + j]!));

export function sequenceJsonlLine(row: SequenceExportRow, spec: SequenceOutputSpec): string {
  const t = row.targets;
  const P = t.positions.length;
  const labels = new Int32Array(t.tokenIds.length).fill(IGNORE_LABEL);
  for (const p of t.positions) labels[p] = t.tokenIds[p]!;
  const o: Record<string, unknown> = {
    id: row.id,
    input_ids: Array.from(t.tokenIds),
    labels: Array.from(labels),
    positions: Array.from(t.positions),
  };
  if (spec.topK !== undefined && t.topk) {
    o.lse = floats(t.lse);
    o.topk_ids = rowsOf(t.topk.ids, t.topk.k, P);
    o.topk_logprobs = rowsOf(floats(t.topk.logprobs), t.topk.k, P);
    o.tail_mass = floats(t.topk.tailMass);
  }
  if (spec.samples && t.samples) {
    const s = t.samples;
    const slice = <T>(a: ArrayLike<T>, p: number): T[] =>
      Array.from({ length: s.offsets[p + 1]! - s.offsets[p]! }, (_, j) => a[s.offsets[p]! + j]!);
    o.sample_ids = Array.from({ length: P }, (_, p) => slice(s.ids, p));
    o.sample_counts = Array.from({ length: P }, (_, p) => slice(s.counts, p));
  }
  if (spec.target && t.target) {
    o.target_logprob = floats(t.target.logprob);
    o.target_rank = Array.from(t.target.rank);
    o.entropy = floats(t.target.entropy);
  }
  o.truncated = t.truncated;
  o.provenance = row.provenance ?? null;
  return `${JSON.stringify(o)}\n`;
}

export function exportSequencesJsonl(
  rows: Iterable<SequenceExportRow>,
  opts: SequenceJsonlOptions,
): { files: ExportedFile[]; rows: number } {
  const shardRows = checkPositiveInt('shardRows', opts.shardRows, 100_000);
  mkdirSync(opts.outDir, { recursive: true });
  const files: ExportedFile[] = [];
  let shard: { file: ShardFile; rows: number } | undefined;
  let total = 0;
  const close = () => {
    if (shard) files.push(shard.file.commit(shard.rows));
    shard = undefined;
  };
  try {
    for (const row of rows) {
      shard ??= { file: new ShardFile(opts.outDir, shardName(opts.prefix, files.length, 'jsonl')), rows: 0 };
      shard.file.sink.write(Buffer.from(sequenceJsonlLine(row, opts.spec)));
      shard.rows++;
      total++;
      if (shard.rows >= shardRows) close();
    }
    close();
  } catch (e) {
    shard?.file.discard();
    throw e;
  }
  return { files, rows: total };
}
