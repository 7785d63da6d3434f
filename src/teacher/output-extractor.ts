/**
 * Cuts one batch's output tensors into per-example TeacherOutputs, dropping padding positions.
 * Batches are right-padded, so example i's real tokens are positions [0, length_i).
 */
import { logSumExp, softmaxT, topKIndices } from '../core/soft-labels.ts';
import type { OutputSpec, TeacherOutput, TopK } from '../core/types.ts';
import type { ResolvedSpec } from './output-names.ts';

export interface BatchTensor {
  data: Float32Array;
  dims: readonly number[];
}

function topK(row: Float32Array, k: number): TopK {
  const ids = topKIndices(row, k);
  return { ids: Int32Array.from(ids), logits: Float32Array.from(ids, (i) => row[i]!), logSumExp: logSumExp(row) };
}

export function extractBatch(
  outputs: Record<string, BatchTensor>,
  lengths: readonly number[],
  truncated: readonly boolean[],
  spec: OutputSpec,
  resolved: ResolvedSpec,
  tokenHead: boolean,
): TeacherOutput[] {
  return lengths.map((len, b) => {
    const out: TeacherOutput = { tokens: len, truncated: truncated[b]! };
    if (resolved.needLogits) {
      const t = outputs.logits!;
      if (tokenHead) {
        // [batch, seq, vocab]: per real token top-k only; a full vocab row per token is never kept.
        const [, seq, vocab] = t.dims as [number, number, number];
        const k = spec.topK ?? 5;
        out.topK = [];
        for (let p = 0; p < len; p++) {
          const start = (b * seq + p) * vocab;
          out.topK.push(topK(t.data.subarray(start, start + vocab), k));
        }
      } else {
        const n = t.dims[1]!;
        const row = t.data.slice(b * n, (b + 1) * n);
        if (spec.logits) out.logits = row;
        if (spec.temperatures.length) out.probs = spec.temperatures.map((T) => softmaxT(row, T));
        if (spec.topK) out.topK = [topK(row, spec.topK)];
      }
    }
    if (resolved.hiddenLayers.length && spec.hidden) {
      out.hidden = resolved.hiddenLayers.map((layer) => {
        const t = outputs[`hidden_states.${layer}`]!;
        const [, seq, hidden] = t.dims as [number, number, number];
        const base = b * seq * hidden;
        if (spec.hidden!.pooling === 'cls') {
          return {
            layer,
            pooling: 'cls' as const,
            value: { data: t.data.slice(base, base + hidden), shape: [hidden] },
          };
        }
        if (spec.hidden!.pooling === 'mean') {
          const acc = new Float64Array(hidden);
          for (let p = 0; p < len; p++) {
            const off = base + p * hidden;
            for (let h = 0; h < hidden; h++) acc[h]! += t.data[off + h]!;
          }
          return {
            layer,
            pooling: 'mean' as const,
            value: { data: Float32Array.from(acc, (v) => v / len), shape: [hidden] },
          };
        }
        return {
          layer,
          pooling: 'none' as const,
          value: { data: t.data.slice(base, base + len * hidden), shape: [len, hidden] },
        };
      });
    }
    if (resolved.attentionLayers.length) {
      out.attentions = resolved.attentionLayers.map((layer) => {
        const t = outputs[`attentions.${layer}`]!;
        const [, heads, seq] = t.dims as [number, number, number, number];
        const data = new Float32Array(heads * len * len);
        for (let h = 0; h < heads; h++) {
          for (let q = 0; q < len; q++) {
            const src = ((b * heads + h) * seq + q) * seq;
            data.set(t.data.subarray(src, src + len), (h * len + q) * len);
          }
        }
        return { layer, value: { data, shape: [heads, len, len] } };
      });
    }
    return out;
  });
}
