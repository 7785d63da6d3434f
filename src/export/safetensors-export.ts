/**
 * safetensors shards for the big tensors: per-token hidden states concatenated to
 * [sum_tokens, hidden] with `token_offsets` [n + 1] (example i is rows offsets[i]:offsets[i+1]),
 * attentions flattened per example to [sum(heads * t * t)] with `attn_offsets` [n + 1], plus
 * dense logits [n, labels] and pooled hidden states [n, hidden]. `ordinal` [n] joins rows to the
 * Parquet export; `__metadata__` holds the teacher fingerprint and output spec as JSON strings.
 */
import { DistilleryError } from '../core/errors.ts';
import { encodeFloat16, type ExportSource } from '../store/index.ts';
import type { TeacherOutput } from '../core/types.ts';
import { STEP_ROWS } from '../core/steps.ts';
import type { ExportedFile, ExportOptions, WriterSteps } from './export-options.ts';
import type { ExportPlan } from './export-plan.ts';
import { SafetensorsShard } from './safetensors/safetensors-shard.ts';
import type { SafetensorsDtype } from './safetensors/safetensors-writer.ts';
import { checkPositiveInt, shardName } from './shards.ts';

export function safetensorsTensorNames(plan: ExportPlan): string[] {
  const names = ['ordinal', 'tokens'];
  if (plan.spec.logits) names.push('logits');
  for (const c of plan.components) {
    if (c.kind === 'hidden') names.push(`hidden.${c.layer}.${c.pooling}`);
    if (c.kind === 'attn') names.push(`attn.${c.layer}`);
  }
  if (plan.components.some((c) => c.kind === 'hidden' && c.pooling === 'none')) names.push('token_offsets');
  if (plan.components.some((c) => c.kind === 'attn')) names.push('attn_offsets');
  return names.sort();
}

class Shard extends SafetensorsShard {
  rows = 0;
  tokenOffset = 0n;
  attnOffset = 0n;
}

export function* writeSafetensors(store: ExportSource, plan: ExportPlan, opts: ExportOptions): WriterSteps {
  const shardRows = checkPositiveInt('shardRows', opts.shardRows, 100_000);
  const prefix = opts.prefix ?? plan.datasetId;
  const floatDtype: SafetensorsDtype = plan.hiddenDtype === 'float16' ? 'F16' : 'F32';
  const asFloat = (data: Float32Array): Float32Array | Uint16Array =>
    floatDtype === 'F16' ? encodeFloat16(data) : data;
  const metadata = {
    dataset: plan.datasetId,
    teacher_fingerprint: plan.fingerprint,
    output_spec: JSON.stringify(plan.spec),
    format: 'distillery-safetensors-v1',
  };
  const files: ExportedFile[] = [];
  let shard: Shard | undefined;
  let rows = 0;
  let skipped = 0;

  const ensure = (s: Shard, name: string, dtype: SafetensorsDtype, inner: number[], first?: BigInt64Array): void => {
    if (s.writer.has(name)) return;
    s.writer.declare(name, dtype, inner);
    if (first) s.writer.append(name, first, first.length);
  };
  const addRow = (s: Shard, ordinal: number, out: TeacherOutput): void => {
    ensure(s, 'ordinal', 'I64', []);
    s.writer.append('ordinal', BigInt64Array.of(BigInt(ordinal)), 1);
    ensure(s, 'tokens', 'I64', []);
    s.writer.append('tokens', BigInt64Array.of(BigInt(out.tokens)), 1);
    if (plan.spec.logits && out.logits) {
      ensure(s, 'logits', 'F32', [out.logits.length]);
      s.writer.append('logits', out.logits, 1);
    }
    let tokenRows: number | undefined;
    for (const h of out.hidden ?? []) {
      const name = `hidden.${h.layer}.${h.pooling}`;
      if (h.pooling === 'none') {
        const [t, width] = h.value.shape as [number, number];
        if (tokenRows !== undefined && tokenRows !== t)
          throw new DistilleryError('INTERNAL', `hidden layers disagree on token count (${tokenRows} vs ${t})`);
        tokenRows = t;
        ensure(s, name, floatDtype, [width]);
        s.writer.append(name, asFloat(h.value.data), t);
      } else {
        ensure(s, name, floatDtype, [h.value.data.length]);
        s.writer.append(name, asFloat(h.value.data), 1);
      }
    }
    if (tokenRows !== undefined) {
      ensure(s, 'token_offsets', 'I64', [], BigInt64Array.of(0n));
      s.tokenOffset += BigInt(tokenRows);
      s.writer.append('token_offsets', BigInt64Array.of(s.tokenOffset), 1);
    }
    let attnItems: number | undefined;
    for (const a of out.attentions ?? []) {
      const name = `attn.${a.layer}`;
      ensure(s, name, floatDtype, []);
      s.writer.append(name, asFloat(a.value.data), a.value.data.length);
      attnItems = a.value.data.length;
    }
    if (attnItems !== undefined) {
      ensure(s, 'attn_offsets', 'I64', [], BigInt64Array.of(0n));
      s.attnOffset += BigInt(attnItems);
      s.writer.append('attn_offsets', BigInt64Array.of(s.attnOffset), 1);
    }
    s.rows++;
  };
  const closeShard = (): void => {
    if (!shard) return;
    files.push(shard.finish(metadata, shard.rows));
    shard = undefined;
  };

  try {
    for (const row of store.iterateLabelled(plan.datasetId, plan.fingerprint, plan.spec, { prefetch: true })) {
      if (!row.output) {
        if (++skipped % STEP_ROWS === 0) yield;
        continue;
      }
      shard ??= new Shard(opts.outDir, shardName(prefix, files.length, 'safetensors'));
      addRow(shard, row.example.ordinal, row.output);
      if (++rows % STEP_ROWS === 0) yield;
      if (shard.rows === shardRows) closeShard();
    }
    closeShard();
  } catch (e) {
    shard?.abort();
    throw e;
  }
  return { files, rows, skipped };
}
