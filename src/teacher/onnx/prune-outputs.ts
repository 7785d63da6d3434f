/**
 * Graph surgery: a copy of a model that computes only some of its outputs. The other graph outputs go,
 * and so do the nodes and initializers only they needed. onnxruntime runs every node of a graph whatever
 * the fetches, and a tensor that is a graph output cannot be fused away, so a graph exposing every layer's
 * hidden states and attentions runs slower even when a job reads only the logits (docs/BENCHMARKS.md).
 * Works on the raw protobuf like expose-hidden.ts: every kept field keeps its exact bytes.
 */
import { fieldInts, fieldString, readFields, type ProtoField } from './protobuf-reader.ts';
import { parseOnnxModel } from './onnx-graph.ts';

const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_NAME = 8;
const TENSOR_DATA_LOCATION = 14;
const EXTERNAL = 1n;

export type PruneResult =
  | {
      /**
       * The pruned model as pieces to concatenate in order, mostly views into `model` (no copy of the
       * weights is made here: whoever needs one buffer concatenates, e.g. the session's own thread).
       */
      parts: Uint8Array[];
      removedOutputs: string[];
      removedNodes: number;
    }
  | { skipped: string };

/**
 * The model with only the graph outputs in `keep` and what they depend on. Skipped (the caller keeps
 * the whole graph) when pruning could change what the model means or where it finds its data: control
 * flow with subgraphs, weights in an external data file, sparse initializers, or nothing to remove.
 */
export function pruneGraphOutputs(model: Uint8Array, keep: readonly string[]): PruneResult {
  const parsed = parseOnnxModel(model);
  const missing = keep.filter((k) => !parsed.outputNames.includes(k));
  if (missing.length) throw new Error(`the graph has no output ${missing.join(', ')}`);
  const removedOutputs = parsed.outputNames.filter((n) => !keep.includes(n));
  if (removedOutputs.length === 0) return { skipped: 'every output is wanted' };

  const nodeFields = parsed.graphFields.filter((f) => f.field === GRAPH_NODE);
  for (const f of nodeFields) if (hasSubgraph(f)) return { skipped: 'the graph has control flow with subgraphs' };
  if (parsed.graphFields.some((f) => f.field === GRAPH_SPARSE_INITIALIZER))
    return { skipped: 'the graph has sparse initializers' };
  for (const f of parsed.graphFields)
    if (f.field === GRAPH_INITIALIZER && isExternal(f)) return { skipped: 'the weights are in an external data file' };

  // ONNX nodes come in topological order, so one backward pass finds everything the kept outputs need.
  const needed = new Set(keep);
  const keepNode = new Array<boolean>(parsed.nodes.length).fill(false);
  for (let i = parsed.nodes.length - 1; i >= 0; i--) {
    const node = parsed.nodes[i]!;
    if (!node.outputs.some((o) => needed.has(o))) continue;
    keepNode[i] = true;
    for (const input of node.inputs) if (input) needed.add(input);
  }

  let nodeIndex = 0;
  const kept: ProtoField[] = [];
  for (const f of parsed.graphFields) {
    if (f.field === GRAPH_NODE) {
      if (keepNode[nodeIndex++]) kept.push(f);
    } else if (f.field === GRAPH_OUTPUT) {
      if (keep.includes(nameOf(f, 1))) kept.push(f);
    } else if (f.field === GRAPH_VALUE_INFO) {
      if (needed.has(nameOf(f, 1))) kept.push(f);
    } else if (f.field === GRAPH_INITIALIZER) {
      if (needed.has(nameOf(f, TENSOR_NAME))) kept.push(f);
    } else {
      kept.push(f);
    }
  }
  const graphLength = kept.reduce((n, f) => n + f.raw.length, 0);
  const parts = parsed.modelFields.flatMap((f) =>
    f === parsed.graphField ? [lengthDelimitedHeader(f.field, graphLength), ...kept.map((k) => k.raw)] : [f.raw],
  );
  return { parts, removedOutputs, removedNodes: keepNode.filter((k) => !k).length };
}

/** The tag and length of a length-delimited field, without its payload. */
function lengthDelimitedHeader(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint(field * 8 + 2), ...varint(length)]);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function nameOf(f: ProtoField, nameField: number): string {
  const name = readFields(f.data!).find((x) => x.field === nameField);
  return name ? fieldString(name) : '';
}

function hasSubgraph(node: ProtoField): boolean {
  return readFields(node.data!).some(
    (a) =>
      a.field === NODE_ATTRIBUTE &&
      readFields(a.data!).some((x) => x.field === ATTRIBUTE_GRAPH || x.field === ATTRIBUTE_GRAPHS),
  );
}

function isExternal(tensor: ProtoField): boolean {
  const location = readFields(tensor.data!).find((x) => x.field === TENSOR_DATA_LOCATION);
  return location !== undefined && fieldInts(location)[0] === EXTERNAL;
}
