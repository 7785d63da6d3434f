/**
 * safetensors shards of causal-LM targets as dense per-token tensors: the sequences of a shard are
 * concatenated along one token axis T (no padding), `sequence_offsets` [N+1] says where each
 * starts, and every per-position tensor has one row per token, aligned with `input_ids` (row t is
 * the distribution of token t+1; rows of unscored positions hold the pads below and labels -100):
 *
 *   sequence_offsets I64 [N+1]   input_ids I32 [T]   labels I32 [T] (-100 where not scored)
 *   topk_ids I32 [T, k] (0 pad)  topk_logprobs F32 [T, k] (-1e4 pad)  lse, tail_mass F32 [T]
 *   sample_offsets I64 [T+1]     sample_ids, sample_counts I32 [nnz]   (CSR over tokens)
 *   target_logprob, entropy F32 [T]   target_rank I32 [T] (-1 pad)   hidden F16 [T, H] (0 pad)
 *
 * Each present part of the spec gives its tensors; the header's __metadata__ holds the spec and
 * the row ids (JSON).
 */
import { mkdirSync } from 'node:fs';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import { DistilleryError } from '../core/errors.ts';
import type { ExportedFile } from './export-options.ts';
import { SafetensorsShard } from './safetensors/safetensors-shard.ts';
import { IGNORE_LABEL, TOP_VALUE_PAD, type SequenceExportRow } from './sequence-parquet.ts';
import { checkPositiveInt, shardName } from './shards.ts';

export interface SequenceSafetensorsOptions {
  outDir: string;
  prefix: string;
  spec: SequenceOutputSpec;
  /** sequences per file; default 10,000 */
  shardRows?: number;
  metadata?: Record<string, string>;
}

function spread<T extends Float32Array | Int32Array>(rows: T, positions: Int32Array, out: T, fill: number): T {
  out.fill(fill);
  for (let p = 0; p < positions.length; p++) out[positions[p]!] = rows[p]!;
  return out;
}

class Shard extends SafetensorsShard {
  readonly ids: string[] = [];
  tokens = 0;
  samples = 0;

  constructor(outDir: string, name: string, spec: SequenceOutputSpec, hiddenSize: number | undefined) {
    super(outDir, name);
    const w = this.writer;
    w.declare('sequence_offsets', 'I64', []);
    w.append('sequence_offsets', BigInt64Array.of(0n), 1);
    w.declare('input_ids', 'I32', []);
    w.declare('labels', 'I32', []);
    if (spec.topK !== undefined) {
      w.declare('topk_ids', 'I32', [spec.topK]);
      w.declare('topk_logprobs', 'F32', [spec.topK]);
      w.declare('lse', 'F32', []);
      w.declare('tail_mass', 'F32', []);
    }
    if (spec.samples) {
      w.declare('sample_offsets', 'I64', []);
      w.append('sample_offsets', BigInt64Array.of(0n), 1);
      w.declare('sample_ids', 'I32', []);
      w.declare('sample_counts', 'I32', []);
    }
    if (spec.target) {
      w.declare('target_logprob', 'F32', []);
      w.declare('target_rank', 'I32', []);
      w.declare('entropy', 'F32', []);
    }
    if (hiddenSize !== undefined) w.declare('hidden', 'F16', [hiddenSize]);
  }

  append(id: string, t: SequenceTargets, spec: SequenceOutputSpec): void {
    const w = this.writer;
    const S = t.tokenIds.length;
    const { positions } = t;
    const need = (part: unknown, name: string): void => {
      if (!part) throw new DistilleryError('INVALID_INPUT', `sequence ${id} has no ${name} output`);
    };
    this.ids.push(id);
    this.tokens += S;
    w.append('sequence_offsets', BigInt64Array.of(BigInt(this.tokens)), 1);
    w.append('input_ids', t.tokenIds, S);
    const labels = new Int32Array(S).fill(IGNORE_LABEL);
    for (const p of positions) labels[p] = t.tokenIds[p]!;
    w.append('labels', labels, S);
    if (spec.topK !== undefined) {
      const tk = t.topk;
      need(tk && tk.k === spec.topK, `topk:${spec.topK}`);
      const k = tk!.k;
      const ids = new Int32Array(S * k);
      const lp = new Float32Array(S * k).fill(TOP_VALUE_PAD);
      for (let p = 0; p < positions.length; p++) {
        ids.set(tk!.ids.subarray(p * k, (p + 1) * k), positions[p]! * k);
        for (let j = 0; j < k; j++) lp[positions[p]! * k + j] = Math.max(tk!.logprobs[p * k + j]!, TOP_VALUE_PAD);
      }
      w.append('topk_ids', ids, S);
      w.append('topk_logprobs', lp, S);
      w.append('lse', spread(t.lse, positions, new Float32Array(S), 0), S);
      w.append('tail_mass', spread(tk!.tailMass, positions, new Float32Array(S), 0), S);
    }
    if (spec.samples) {
      const s = t.samples;
      need(s, 'samples');
      const offsets = new BigInt64Array(S);
      let p = 0;
      for (let i = 0; i < S; i++) {
        if (p < positions.length && positions[p] === i) p++;
        offsets[i] = BigInt(this.samples + s!.offsets[p]!);
      }
      this.samples += s!.ids.length;
      w.append('sample_offsets', offsets, S);
      w.append('sample_ids', s!.ids, s!.ids.length);
      w.append('sample_counts', Int32Array.from(s!.counts), s!.counts.length);
    }
    if (spec.target) {
      need(t.target, 'target');
      w.append('target_logprob', spread(t.target!.logprob, positions, new Float32Array(S), 0), S);
      w.append('target_rank', spread(t.target!.rank, positions, new Int32Array(S), -1), S);
      w.append('entropy', spread(t.target!.entropy, positions, new Float32Array(S), 0), S);
    }
    if (spec.hidden) {
      need(t.hidden, 'hidden');
      const H = t.hidden!.size;
      const dense = new Uint16Array(S * H);
      for (let p = 0; p < positions.length; p++)
        dense.set(t.hidden!.data.subarray(p * H, (p + 1) * H), positions[p]! * H);
      w.append('hidden', dense, S);
    }
  }
}

/** Writes the rows as safetensors shards; each file appears under its final name only when complete. */
export function exportSequencesSafetensors(
  rows: Iterable<SequenceExportRow>,
  opts: SequenceSafetensorsOptions,
): { files: ExportedFile[]; rows: number; tokens: number } {
  const shardRows = checkPositiveInt('shardRows', opts.shardRows, 10_000);
  mkdirSync(opts.outDir, { recursive: true });
  const files: ExportedFile[] = [];
  let shard: Shard | undefined;
  let total = 0;
  let tokens = 0;
  const close = (): void => {
    if (!shard) return;
    const metadata = {
      'distillery.output_spec': JSON.stringify(opts.spec),
      'distillery.ids': JSON.stringify(shard.ids),
      ...opts.metadata,
    };
    files.push(shard.finish(metadata, shard.ids.length));
    shard = undefined;
  };
  try {
    for (const row of rows) {
      shard ??= new Shard(
        opts.outDir,
        shardName(opts.prefix, files.length, 'safetensors'),
        opts.spec,
        opts.spec.hidden ? row.targets.hidden?.size : undefined,
      );
      shard.append(row.id, row.targets, opts.spec);
      total++;
      tokens += row.targets.tokenIds.length;
      if (shard.ids.length >= shardRows) close();
    }
    close();
  } catch (e) {
    shard?.abort();
    throw e;
  }
  return { files, rows: total, tokens };
}
