/**
 * Parquet shards of causal-LM targets in DistillKit's uncompressed dataset schema (docs/TRAINING-LLM.md):
 * one row per sequence with `input_ids`, `attention_mask`, `labels` (-100 where a position is not
 * scored), `token_ids` list<list<int32>> and `top_values` list<list<float32>> (log-probs at T=1 over
 * the full vocabulary; row t is the distribution of token t+1, one row per input position, unused
 * slots and unscored rows -1e4, never -inf), then distillery's own columns: the log-sum-exp, tail
 * mass, target log-prob/rank and entropy per position, the importance samples as ragged
 * list<list<int32>> ids and counts, the truncated flag and a provenance JSON string.
 *
 * Rows come from any iterable (the caller reads them from the store), so memory holds one row group.
 */
import { mkdirSync } from 'node:fs';
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import type { ExportedFile } from './export-options.ts';
import {
  ParquetFileWriter,
  type Codec,
  type ListValue,
  type NestedValue,
  type ParquetColumn,
  type ScalarValue,
} from './parquet/parquet-file-writer.ts';
import { checkPositiveInt, ShardFile, shardName } from './shards.ts';

/** DistillKit pads unused top-k slots with a large finite negative value: 0 * -inf would be NaN in its KL. */
export const TOP_VALUE_PAD = -1e4;
/** The label of a position that is not scored (the value PyTorch's cross-entropy ignores). */
export const IGNORE_LABEL = -100;

export interface SequenceExportRow {
  id: string;
  targets: SequenceTargets;
  /** JSON with where the row came from (teacher fingerprint, output spec, origin) */
  provenance?: string;
}

export interface SequenceParquetOptions {
  outDir: string;
  /** file names: PREFIX-00000.parquet */
  prefix: string;
  /** the outputs every row carries; decides the columns */
  spec: SequenceOutputSpec;
  /** pad every sequence to this many tokens (DistillKit's `prepacked: true` needs one length); longer ones are refused */
  padTo?: number;
  /** token id of padding positions (attention_mask 0, labels -100); default 0 */
  padTokenId?: number;
  /** start a new file after this many rows; default 100,000 */
  shardRows?: number;
  /** write a row group once this many positions are pending; default 32,768 */
  rowGroupPositions?: number;
  compression?: 'snappy' | 'gzip' | 'none';
  /**
   * 'distillkit' keeps only DistillKit's five columns: its `prepacked` collator turns every column
   * into a tensor, which a string or ragged column would break; default 'all'
   */
  columns?: 'all' | 'distillkit';
  /** extra key-value metadata */
  metadata?: Record<string, string>;
}

export interface SequenceParquetResult {
  files: ExportedFile[];
  rows: number;
  /** input positions written (tokens, padding included) */
  positions: number;
}

/** DistillKit's uncompressed dataset columns, in file order. */
export const DISTILLKIT_COLUMNS = ['input_ids', 'attention_mask', 'labels', 'token_ids', 'top_values'] as const;

export function sequenceParquetColumns(spec: SequenceOutputSpec): ParquetColumn[] {
  const list = (name: string, element: 'INT32' | 'FLOAT'): ParquetColumn => ({ name, kind: 'list', element });
  const nested = (name: string, element: 'INT32' | 'FLOAT'): ParquetColumn => ({ name, kind: 'nested', element });
  const cols: ParquetColumn[] = [
    { name: 'id', kind: 'scalar', type: 'STRING', optional: false },
    list('input_ids', 'INT32'),
    list('attention_mask', 'INT32'),
    list('labels', 'INT32'),
  ];
  if (spec.topK !== undefined)
    cols.push(
      nested('token_ids', 'INT32'),
      nested('top_values', 'FLOAT'),
      list('lse', 'FLOAT'),
      list('tail_mass', 'FLOAT'),
    );
  if (spec.samples) cols.push(nested('sample_ids', 'INT32'), nested('sample_counts', 'INT32'));
  if (spec.target) cols.push(list('target_logprob', 'FLOAT'), list('target_rank', 'INT32'), list('entropy', 'FLOAT'));
  cols.push(
    { name: 'truncated', kind: 'scalar', type: 'BOOLEAN', optional: false },
    { name: 'provenance', kind: 'scalar', type: 'STRING', optional: true },
  );
  return cols;
}

/** Spreads per-row values (length P) over input positions (length S), `fill` where a position has no row. */
function perPosition<T extends Float32Array | Int32Array>(rows: T, positions: Int32Array, out: T, fill: number): T {
  out.fill(fill);
  for (let p = 0; p < positions.length; p++) out[positions[p]!] = rows[p]!;
  return out;
}

/** Top-k rows still encoded in the store (StoredTopK): they can be decoded straight into a column's bytes. */
interface DecodesInto {
  decodeInto(ids: Int32Array, logprobs: Float32Array, at?: Int32Array): void;
}
const decodesInto = (tk: object): tk is DecodesInto => typeof (tk as Partial<DecodesInto>).decodeInto === 'function';

/** The token_ids and top_values cells: the rows among padding rows, or reserved for writeReservedTopK. */
function topKCells(
  tk: NonNullable<SequenceTargets['topk']>,
  positions: Int32Array,
  S: number,
  reserve: boolean,
): [NestedValue, NestedValue] {
  const { k } = tk;
  if (reserve && decodesInto(tk))
    return [
      { rows: S, width: k, reserve: true },
      { rows: S, width: k, reserve: true },
    ];
  // rows are sorted: a row needs the clamp (-inf, NaN, below the pad) only if its last value does
  let values = tk.logprobs;
  for (let p = 0; p < positions.length; p++) {
    if (tk.logprobs[p * k + k - 1]! > TOP_VALUE_PAD) continue;
    values = tk.logprobs.map((v) => (v > TOP_VALUE_PAD ? v : TOP_VALUE_PAD));
    break;
  }
  return [
    { rows: S, width: k, values: tk.ids, at: positions, pad: 0 },
    { rows: S, width: k, values, at: positions, pad: TOP_VALUE_PAD },
  ];
}

/**
 * The cells of one row, in sequenceParquetColumns(spec) order. With `reserveTopK`, a row whose
 * top-k rows are still encoded gets `reserve` cells for token_ids and top_values, which the caller
 * fills with writeReservedTopK once the writer has reserved them.
 */
export function sequenceParquetValues(
  row: SequenceExportRow,
  spec: SequenceOutputSpec,
  padTo?: number,
  padTokenId = 0,
  reserveTopK = false,
): (ScalarValue | ListValue | NestedValue)[] {
  const t = row.targets;
  const n = t.tokenIds.length;
  const S = padTo ?? n;
  if (n > S)
    throw new DistilleryError('INVALID_INPUT', `sequence ${row.id} has ${n} tokens, more than padTo=${S}`, {
      hint: 'raise padTo or truncate the sequences when labelling',
    });
  const { positions } = t;
  const inputIds = new Int32Array(S).fill(padTokenId);
  inputIds.set(t.tokenIds);
  const mask = new Int32Array(S);
  mask.fill(1, 0, n);
  const labels = new Int32Array(S).fill(IGNORE_LABEL);
  for (const p of positions) labels[p] = t.tokenIds[p]!;
  const cells: (ScalarValue | ListValue | NestedValue)[] = [row.id, inputIds, mask, labels];
  if (spec.topK !== undefined) {
    const tk = t.topk;
    if (!tk || tk.k !== spec.topK) missing(row.id, `topk:${spec.topK}`);
    const k = tk.k;
    cells.push(
      ...topKCells(tk, positions, S, reserveTopK),
      perPosition(t.lse, positions, new Float32Array(S), 0),
      perPosition(tk.tailMass, positions, new Float32Array(S), 0),
    );
  }
  if (spec.samples) {
    const s = t.samples;
    if (!s) missing(row.id, 'samples');
    const offsets = new Int32Array(S + 1);
    // inner list t holds row p's samples when positions[p] = t, nothing otherwise
    let p = 0;
    for (let i = 0; i < S; i++) {
      if (p < positions.length && positions[p] === i) p++;
      offsets[i + 1] = s.offsets[p]!;
    }
    cells.push({ offsets, values: s.ids }, { offsets, values: Int32Array.from(s.counts) });
  }
  if (spec.target) {
    const tg = t.target;
    if (!tg) missing(row.id, 'target');
    cells.push(
      perPosition(tg.logprob, positions, new Float32Array(S), 0),
      perPosition(tg.rank, positions, new Int32Array(S), -1),
      perPosition(tg.entropy, positions, new Float32Array(S), 0),
    );
  }
  cells.push(t.truncated, row.provenance ?? null);
  return cells;
}

/**
 * Fills the reserved token_ids / top_values cells of a row (S inner lists of k): the stored rows
 * decoded in place at their positions, the other lists padding, as the copying path writes them.
 */
export function writeReservedTopK(t: SequenceTargets, ids: Int32Array, values: Float32Array): void {
  const tk = t.topk!;
  if (!decodesInto(tk)) throw new DistilleryError('INTERNAL', 'the top-k rows of this row are already decoded');
  const { k } = tk;
  const { positions } = t;
  tk.decodeInto(ids, values, positions);
  const S = ids.length / k;
  let p = 0;
  for (let i = 0; i < S; i++) {
    if (p < positions.length && positions[p] === i) {
      // rows are sorted: only a row whose last value is at or below the pad needs the clamp
      if (!(values[i * k + k - 1]! > TOP_VALUE_PAD))
        for (let j = i * k; j < i * k + k; j++) if (!(values[j]! > TOP_VALUE_PAD)) values[j] = TOP_VALUE_PAD;
      p++;
      continue;
    }
    ids.fill(0, i * k, i * k + k);
    values.fill(TOP_VALUE_PAD, i * k, i * k + k);
  }
}

function missing(id: string, part: string): never {
  throw new DistilleryError('INVALID_INPUT', `sequence ${id} has no ${part} output`);
}

/** Writes the rows as Parquet shards; each file appears under its final name only when complete. */
export function exportSequencesParquet(
  rows: Iterable<SequenceExportRow>,
  opts: SequenceParquetOptions,
): SequenceParquetResult {
  const { spec } = opts;
  if (spec.topK !== undefined && spec.temperature !== 1)
    throw new DistilleryError(
      'INVALID_INPUT',
      `top_values must be log-probs at T=1, the spec has T=${spec.temperature}`,
      {
        hint: 'label with temperature 1: DistillKit applies the distillation temperature itself',
      },
    );
  const shardRows = checkPositiveInt('shardRows', opts.shardRows, 100_000);
  const groupPositions = checkPositiveInt('rowGroupPositions', opts.rowGroupPositions, 32_768);
  const codec = ({ snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' } as const)[opts.compression ?? 'snappy'];
  const all = sequenceParquetColumns(spec);
  const keep = all.map(
    (c) => opts.columns !== 'distillkit' || (DISTILLKIT_COLUMNS as readonly string[]).includes(c.name),
  );
  if (opts.columns === 'distillkit' && spec.topK === undefined)
    throw new DistilleryError('INVALID_INPUT', "the 'distillkit' columns need top-k outputs (topK in the spec)");
  const columns = all.filter((_, i) => keep[i]);
  const idsColumn = columns.findIndex((c) => c.name === 'token_ids');
  const valuesColumn = columns.findIndex((c) => c.name === 'top_values');
  // a row group closes once it passes groupPositions: size the top-k pages for that and one more long row
  const pageBytes = (c: ParquetColumn): number | undefined =>
    c.name === 'token_ids' || c.name === 'top_values' ? (groupPositions + 4096) * (spec.topK ?? 0) * 4 : undefined;
  mkdirSync(opts.outDir, { recursive: true });
  const kv = {
    'distillery.output_spec': JSON.stringify(spec),
    'distillery.schema': 'distillkit-uncompressed',
    ...opts.metadata,
  };
  const files: ExportedFile[] = [];
  let shard: { file: ShardFile; writer: ParquetFileWriter } | undefined;
  let total = 0;
  let positions = 0;
  let pending = 0;
  const close = (): void => {
    if (!shard) return;
    shard.writer.finish(kv);
    files.push(shard.file.commit(shard.writer.rows));
    shard = undefined;
  };
  try {
    for (const row of rows) {
      if (!shard) {
        const file = new ShardFile(opts.outDir, shardName(opts.prefix, files.length, 'parquet'));
        shard = { file, writer: new ParquetFileWriter(file.sink, columns, () => codec, pageBytes) };
      }
      const S = opts.padTo ?? row.targets.tokenIds.length;
      const cells = sequenceParquetValues(row, spec, opts.padTo, opts.padTokenId, true);
      const reserved = shard.writer.appendRow(opts.columns === 'distillkit' ? cells.filter((_, i) => keep[i]) : cells);
      const ids = reserved[idsColumn];
      if (ids) writeReservedTopK(row.targets, ids as Int32Array, reserved[valuesColumn] as Float32Array);
      total++;
      positions += S;
      pending += S;
      if (shard.writer.rows + shard.writer.pendingRows >= shardRows) {
        close();
        pending = 0;
      } else if (pending >= groupPositions) {
        shard.writer.flushRowGroup();
        pending = 0;
      }
    }
    close();
  } catch (e) {
    shard?.file.discard();
    throw e;
  }
  return { files, rows: total, positions };
}
