/**
 * Feeds for one teacher-forced forward of a decoder export: padded input_ids and attention_mask,
 * position_ids that count only real tokens (so a left-padded row gets the same positions as alone),
 * an empty past for every past_key_values.* input, and num_logits_to_keep = 0 (every position).
 */
import { DistilleryError } from '../../core/errors.ts';
import { fieldString, readFields } from '../onnx/protobuf-reader.ts';
import { parseOnnxModel } from '../onnx/onnx-graph.ts';
import type { SessionTensor } from '../session-handle.ts';
import { TARGET_INPUTS } from './expose-targets.ts';
import { type EncodedSequence, scoredPositions } from './sequence-input.ts';

export interface GraphInput {
  name: string;
  /** ONNX element type code (1 float, 7 int64, 10 float16) */
  elemType: number;
  /** a number where the graph fixes the size, the symbol otherwise */
  dims: (number | string)[];
}

/** The graph's declared inputs, read from the protobuf (the worker session reports only names). */
export function readGraphInputs(model: Uint8Array): GraphInput[] {
  const { graphFields } = parseOnnxModel(model);
  const initializers = new Set(
    graphFields.filter((f) => f.field === 5).map((f) => fieldString(readFields(f.data!).find((x) => x.field === 8)!)),
  );
  const inputs: GraphInput[] = [];
  for (const f of graphFields) {
    if (f.field !== 11) continue;
    const parts = readFields(f.data!);
    const name = fieldString(parts.find((p) => p.field === 1)!);
    if (initializers.has(name)) continue;
    const tensorType = readFields(readFields(parts.find((p) => p.field === 2)!.data!)[0]!.data!);
    const elemType = Number(tensorType.find((p) => p.field === 1)?.int ?? 0);
    const shape = tensorType.find((p) => p.field === 2);
    const dims = shape
      ? readFields(shape.data!).map((d) => {
          const dim = readFields(d.data!)[0];
          return dim?.field === 1 ? Number(dim.int) : dim ? fieldString(dim) : '?';
        })
      : [];
    inputs.push({ name, elemType, dims });
  }
  return inputs;
}

export interface PastInput {
  name: string;
  type: 'float32' | 'float16';
  heads: number;
  headDim: number;
}

export interface CausalInputs {
  past: PastInput[];
  positionIds: boolean;
  numLogitsToKeep: boolean;
}

/** Which optional inputs the export takes; the past's head count and size come from the graph, else config.json. */
export function causalInputs(inputs: readonly GraphInput[], config: Record<string, unknown>): CausalInputs {
  const heads = Number(config.num_attention_heads ?? config.n_head);
  const hidden = Number(config.hidden_size ?? config.n_embd);
  const kvHeads = Number(config.num_key_value_heads ?? heads);
  const headDim = Number(config.head_dim ?? hidden / heads);
  const past = inputs
    .filter((i) => i.name.startsWith('past_key_values.'))
    .map((i) => {
      const [, h, , d] = i.dims;
      const p: PastInput = {
        name: i.name,
        type: i.elemType === 10 ? 'float16' : 'float32',
        heads: typeof h === 'number' ? h : kvHeads,
        headDim: typeof d === 'number' ? d : headDim,
      };
      if (i.dims.length !== 4 || !Number.isInteger(p.heads) || !Number.isInteger(p.headDim)) {
        throw new DistilleryError('MODEL_LOAD_FAILED', `Cannot tell the shape of ${i.name}`, {
          hint: 'config.json needs num_key_value_heads (or num_attention_heads) and head_dim (or hidden_size)',
        });
      }
      return p;
    });
  const names = new Set(inputs.map((i) => i.name));
  return { past, positionIds: names.has('position_ids'), numLogitsToKeep: names.has('num_logits_to_keep') };
}

export type PaddingSide = 'left' | 'right';

export interface BatchFeeds {
  feeds: Record<string, SessionTensor>;
  /** padded length */
  seq: number;
  /** index in the padded row of each row's first token */
  offsets: number[];
}

export function buildFeeds(
  rows: readonly (readonly number[])[],
  padId: number,
  side: PaddingSide,
  graph: CausalInputs,
): BatchFeeds {
  const n = rows.length;
  const seq = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(n * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(n * seq);
  const positions = new BigInt64Array(n * seq);
  const offsets = rows.map((r) => (side === 'left' ? seq - r.length : 0));
  rows.forEach((r, b) => {
    const base = b * seq + offsets[b]!;
    for (let t = 0; t < r.length; t++) {
      ids[base + t] = BigInt(r[t]!);
      mask[base + t] = 1n;
      positions[base + t] = BigInt(t);
    }
  });
  const dims = [n, seq];
  const feeds: Record<string, SessionTensor> = {
    input_ids: { type: 'int64', data: ids, dims },
    attention_mask: { type: 'int64', data: mask, dims },
  };
  if (graph.positionIds) feeds.position_ids = { type: 'int64', data: positions, dims };
  if (graph.numLogitsToKeep) feeds.num_logits_to_keep = { type: 'int64', data: new BigInt64Array(1), dims: [] };
  for (const p of graph.past) {
    const data = p.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    feeds[p.name] = { type: p.type, data, dims: [n, p.heads, 0, p.headDim] };
  }
  return { feeds, seq, offsets };
}

/**
 * `targets.rows` / `targets.next` for the rewritten head (expose-targets.ts): the flat [batch * seq]
 * index of every scored position and the id of the token after it, in chunks of at most `maxChunk`
 * rows; the last chunk is padded with row 0 / token 0, whose results are never read. `starts[b]` is
 * the index of row b's first scored position among the graph's rows.
 */
export function scoredRowFeeds(
  rows: readonly EncodedSequence[],
  seq: number,
  offsets: readonly number[],
  maxChunk: number,
): { feeds: Record<string, SessionTensor>; starts: number[] } {
  const flatRows: number[] = [];
  const next: number[] = [];
  const starts = rows.map((r, b) => {
    const start = flatRows.length;
    const scored = scoredPositions(r.targets);
    for (let t = 0; t < scored.length; t++) {
      if (!scored[t]) continue;
      flatRows.push(b * seq + offsets[b]! + t);
      next.push(r.ids[t + 1]!);
    }
    return start;
  });
  const chunk = Math.max(1, Math.min(flatRows.length, maxChunk));
  const chunks = Math.ceil(flatRows.length / chunk);
  const rowFeed = new BigInt64Array(chunks * chunk);
  const nextFeed = new BigInt64Array(chunks * chunk);
  flatRows.forEach((f, i) => {
    rowFeed[i] = BigInt(f);
    nextFeed[i] = BigInt(next[i]!);
  });
  const dims = [chunks, chunk];
  return {
    feeds: {
      [TARGET_INPUTS.rows]: { type: 'int64', data: rowFeed, dims },
      [TARGET_INPUTS.next]: { type: 'int64', data: nextFeed, dims },
    },
    starts,
  };
}
