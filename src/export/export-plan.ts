/**
 * What an export contains: the teacher, the resolved output components, and the flat columns
 * one example becomes. Parquet and JSONL share these column names (docs/TRAINING.md uses them).
 */
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec } from '../core/types.ts';
import { componentName, encodeFloat16, type Component, type LabelledRow, type ExportSource } from '../store/index.ts';
import type { ListValue, ParquetColumn, ScalarValue } from './parquet/parquet-file-writer.ts';

export type HiddenDtype = 'float32' | 'float16';

export interface ExportPlan {
  datasetId: string;
  fingerprint: string;
  spec: OutputSpec;
  temperatures: number[];
  components: Component[];
  labelType: 'INT64' | 'STRING';
  hiddenDtype: HiddenDtype;
  columns: ParquetColumn[];
  /** one row's values, in `columns` order */
  values(row: LabelledRow): (ScalarValue | ListValue)[];
}

export interface PlanOptions {
  /** teacher fingerprint; defaults to the dataset's only linked teacher */
  teacher?: string;
  /** temperatures for probs_t* columns; defaults to the linked spec's */
  temperatures?: number[];
  /** pooled hidden states as float16 or float32 lists; default float16 unless the cache holds fp32 */
  hiddenDtype?: HiddenDtype;
}

/** probs_t1, probs_t2, probs_t0_5 */
export const probsColumn = (t: number): string => `probs_t${String(t).replace('.', '_')}`;
export const hiddenColumn = (layer: number, pooling: string): string => `hidden_${layer}_${pooling}`;

export function planExport(store: ExportSource, datasetId: string, opts: PlanOptions = {}): ExportPlan {
  store.requireDataset(datasetId);
  const linked = store.datasetTeachers(datasetId);
  let teacher = linked[0];
  if (opts.teacher !== undefined) {
    teacher = linked.find((t) => t.fingerprint === opts.teacher);
    if (!teacher)
      throw new DistilleryError('NOT_FOUND', `dataset '${datasetId}' has no teacher ${opts.teacher}`, {
        hint: `linked: ${linked.map((t) => t.fingerprint).join(', ') || 'none'}`,
      });
  } else if (linked.length > 1) {
    throw new DistilleryError('INVALID_INPUT', `dataset '${datasetId}' has ${linked.length} teachers`, {
      hint: `choose one with --teacher: ${linked.map((t) => t.fingerprint).join(', ')}`,
    });
  }
  if (!teacher)
    throw new DistilleryError('INVALID_INPUT', `dataset '${datasetId}' has not been labelled by any teacher`, {
      hint: 'label it first (distillery label / run)',
    });
  const temperatures = opts.temperatures ?? teacher.spec.temperatures;
  for (const t of temperatures) {
    if (!(Number.isFinite(t) && t > 0))
      throw new DistilleryError('INVALID_INPUT', `temperature ${t} must be a positive number`);
  }
  const spec: OutputSpec = { ...teacher.spec, temperatures };
  const components = store.components(teacher.fingerprint, spec);
  const types = store.labelTypes(datasetId);
  const labelType = types.length > 0 && types.every((t) => t === 'integer') ? 'INT64' : 'STRING';
  const hiddenDtype = opts.hiddenDtype ?? (spec.encoding === 'fp32' ? 'float32' : 'float16');

  const columns: ParquetColumn[] = [
    { name: 'ordinal', kind: 'scalar', type: 'INT64', optional: false },
    { name: 'id', kind: 'scalar', type: 'STRING', optional: false },
    { name: 'text', kind: 'scalar', type: 'STRING', optional: false },
    { name: 'text_pair', kind: 'scalar', type: 'STRING', optional: true },
    { name: 'label', kind: 'scalar', type: labelType, optional: true },
    { name: 'origin_kind', kind: 'scalar', type: 'STRING', optional: false },
    { name: 'parent_id', kind: 'scalar', type: 'STRING', optional: true },
    { name: 'ops', kind: 'list', element: 'STRING' },
    { name: 'seed', kind: 'scalar', type: 'STRING', optional: true },
    { name: 'params', kind: 'scalar', type: 'STRING', optional: true },
    { name: 'teacher', kind: 'scalar', type: 'STRING', optional: false },
    { name: 'tokens', kind: 'scalar', type: 'INT32', optional: false },
    { name: 'truncated', kind: 'scalar', type: 'BOOLEAN', optional: false },
  ];
  type Extract = (row: LabelledRow) => ScalarValue | ListValue;
  const extract: Extract[] = [
    (r) => BigInt(r.example.ordinal),
    (r) => r.example.id,
    (r) => r.example.text,
    (r) => r.example.textPair ?? null,
    (r) =>
      r.example.label === null || r.example.label === undefined
        ? null
        : labelType === 'INT64'
          ? BigInt(r.example.label)
          : String(r.example.label),
    (r) => r.example.origin.kind,
    (r) => (r.example.origin.kind === 'augmentation' ? r.example.origin.parentId : null),
    (r) => (r.example.origin.kind === 'augmentation' ? r.example.origin.ops : []),
    (r) => (r.example.origin.kind === 'augmentation' ? r.example.origin.seed : null),
    (r) => (r.example.origin.kind === 'augmentation' ? JSON.stringify(r.example.origin.params) : null),
    () => teacher.fingerprint,
    (r) => r.output!.tokens,
    (r) => r.output!.truncated,
  ];
  const add = (c: ParquetColumn, f: Extract): void => {
    columns.push(c);
    extract.push(f);
  };
  if (spec.logits) add({ name: 'logits', kind: 'list', element: 'FLOAT' }, (r) => r.output!.logits ?? null);
  temperatures.forEach((t, i) =>
    add({ name: probsColumn(t), kind: 'list', element: 'FLOAT' }, (r) => r.output!.probs?.[i] ?? null),
  );
  if (components.some((c) => c.kind === 'topk')) {
    // flattened over top-k rows: one row for sequence heads, one per token for token heads
    const flat = (r: LabelledRow, f: 'ids' | 'logits'): Float32Array | Int32Array | null => {
      const rows = r.output!.topK;
      if (!rows) return null;
      const k = rows[0]?.ids.length ?? 0;
      const out = f === 'ids' ? new Int32Array(rows.length * k) : new Float32Array(rows.length * k);
      rows.forEach((row, i) => out.set(row[f], i * k));
      return out;
    };
    add({ name: 'topk_ids', kind: 'list', element: 'INT64' }, (r) => flat(r, 'ids'));
    add({ name: 'topk_values', kind: 'list', element: 'FLOAT' }, (r) => flat(r, 'logits'));
    add({ name: 'topk_lse', kind: 'list', element: 'FLOAT' }, (r) =>
      r.output!.topK ? Float32Array.from(r.output!.topK, (t) => t.logSumExp) : null,
    );
  }
  for (const c of components) {
    if (c.kind !== 'hidden' || c.pooling === 'none') continue; // per-token states go to safetensors
    const name = componentName(c);
    add(
      {
        name: hiddenColumn(c.layer, c.pooling),
        kind: 'list',
        element: hiddenDtype === 'float16' ? 'FLOAT16' : 'FLOAT',
      },
      (r) => {
        // stored fp16 bits pass straight through (iterateLabelled's float16Hidden) when the reader asked for them
        if (hiddenDtype === 'float16') {
          const bits = r.float16Hidden?.get(name);
          if (bits) return bits;
        }
        const h = r.output!.hidden?.find((x) => x.layer === c.layer && x.pooling === c.pooling);
        if (!h) return null;
        return hiddenDtype === 'float16' ? encodeFloat16(h.value.data) : h.value.data;
      },
    );
  }
  return {
    datasetId,
    fingerprint: teacher.fingerprint,
    spec,
    temperatures,
    components,
    labelType,
    hiddenDtype,
    columns,
    values: (row) => extract.map((f) => f(row)),
  };
}
