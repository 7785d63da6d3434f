/**
 * Graph rewrite: an fp32 ONNX model as a mixed-precision fp16 one (what `models convert --dtype fp16`
 * writes as onnx/model_fp16.onnx). Float weights and activations become float16, except:
 *   - ops that are numerically fragile in half precision stay float32: LayerNorm (its variance),
 *     Softmax (its exponent and sum), the pieces of a decomposed LayerNorm (ReduceMean, Pow, Sqrt,
 *     Reciprocal), and the head that produces `logits` (from the last of those ops to the output);
 *   - graph inputs and outputs keep their types, so the runtime feeds int64 ids and reads float32.
 * Cast nodes are inserted wherever a value crosses between the two precisions. Constants beyond the
 * half range (a -1e9 attention mask) are clamped to +-65504 instead of becoming -Infinity, which would
 * turn 0 * mask into NaN.
 */
import { DistilleryError } from '../../core/errors.ts';
import {
  castNode,
  copyField,
  encodeNode,
  halfAttributes,
  parseInitializer,
  parseNode,
  valueElemType,
  valueName,
  type Node,
} from './fp16-graph-parts.ts';
import { ProtoWriter, StreamingProtoWriter } from './protobuf-writer.ts';
import { readFields, type ProtoField } from './protobuf-reader.ts';
import { halfCount, halfTensor } from './half-tensor.ts';
import { ElemType, inferElemTypes } from './tensor-types.ts';

export const FP32_OPS: readonly string[] = Object.freeze([
  'LayerNormalization',
  'SkipLayerNormalization',
  'SimplifiedLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'Softmax',
  'LogSoftmax',
  'ReduceMean',
  'Pow',
  'Sqrt',
  'Reciprocal',
]);

/** Graphs with these are already quantized: convert the fp32 graph instead. */
const QUANTIZED_OPS = new Set([
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul',
  'QLinearMatMul',
  'MatMulNBits',
]);

/** Nodes walked back from `logits` at most; a head is a handful of nodes, not the encoder. */
const MAX_HEAD_NODES = 16;

export interface Float16Options {
  /** keep the nodes that compute `logits` (after the last LayerNorm) in float32; default true */
  keepHeadFp32?: boolean;
}

export interface Float16Report {
  /** float initializers stored as float16, and their element count */
  initializersConverted: number;
  parametersConverted: number;
  /** nodes computing in float32, by op type (the fragile ops and the head) */
  keptFp32: Record<string, number>;
  nodesFp16: number;
  castsInserted: number;
}

export interface Float16Result {
  /** the model bytes, chunk by chunk (write with forEachChunk, or finish() for one array) */
  writer: ProtoWriter;
  report: Float16Report;
}

type Precision = 'fp16' | 'fp32';

/** Nodes from each `logits` output back to the last fp32-kept op (the classification / LM head). */
function headNodes(nodes: readonly Node[], outputs: readonly string[], fp32Ops: ReadonlySet<string>): Set<number> {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const head = new Set<number>();
  const queue: string[] = outputs.filter((o) => o === 'logits');
  while (queue.length && head.size < MAX_HEAD_NODES) {
    const i = producer.get(queue.shift()!);
    if (i === undefined || head.has(i) || fp32Ops.has(nodes[i]!.opType)) continue;
    head.add(i);
    queue.push(...nodes[i]!.inputs.filter(Boolean));
  }
  return head;
}

export function convertToFloat16(model: Uint8Array, opts: Float16Options = {}): Float16Result {
  const modelFields = readFields(model);
  const graphField = modelFields.find((f) => f.field === 7);
  if (!graphField?.data) throw new DistilleryError('INVALID_INPUT', 'Not an ONNX model: it has no graph');
  const graphFields = readFields(graphField.data);
  const nodes = graphFields.filter((f) => f.field === 1).map(parseNode);
  const inits = graphFields.filter((f) => f.field === 5).map(parseInitializer);
  const inputs = graphFields.filter((f) => f.field === 11).map(valueName);
  const outputs = graphFields.filter((f) => f.field === 12).map(valueName);

  for (const n of nodes) {
    if (QUANTIZED_OPS.has(n.opType)) {
      throw new DistilleryError('INVALID_INPUT', `The graph is already quantized (it has ${n.opType} nodes)`, {
        hint: 'convert the fp32 graph (onnx/model.onnx), not a quantized one',
      });
    }
    if (n.attributes.some((a) => readFields(a.data!).some((x) => x.field === 6 || x.field === 11))) {
      throw new DistilleryError('UNSUPPORTED_OUTPUT', `fp16 conversion does not handle control flow (${n.opType})`, {
        hint: 'encoder graphs without If/Loop/Scan subgraphs can be converted; keep fp32 for this one',
      });
    }
  }

  const inputSet = new Set(inputs);
  const sources = new Map<string, number>();
  for (const f of graphFields.filter((x) => x.field === 11)) sources.set(valueName(f), valueElemType(f));
  for (const init of inits) if (!inputSet.has(init.name)) sources.set(init.name, init.type);
  const types = inferElemTypes(sources, nodes);
  const isFloat = (name: string): boolean => types.get(name) === ElemType.FLOAT;

  // Which precision each node computes in.
  const fp32Ops = new Set(FP32_OPS);
  const head = opts.keepHeadFp32 === false ? new Set<number>() : headNodes(nodes, outputs, fp32Ops);
  const precision: Precision[] = nodes.map((n, i) => (fp32Ops.has(n.opType) || head.has(i) ? 'fp32' : 'fp16'));
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => n.inputs.forEach((x) => x && (consumers.get(x) ?? consumers.set(x, []).get(x)!).push(i)));
  // A node that only makes a float value (Cast from int, Constant) takes its consumers' precision,
  // so an int mask cast for a float32 op is not rounded to half on the way.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const makesFloat = ['Cast', 'Constant', 'ConstantOfShape'].includes(n.opType) && n.outputs.some(isFloat);
    if (!makesFloat || n.inputs.some(isFloat) || precision[i] === 'fp32') continue;
    const uses = n.outputs.flatMap((o) => consumers.get(o) ?? []);
    const toOutput = n.outputs.some((o) => outputs.includes(o));
    if (uses.length && !toOutput && uses.every((u) => precision[u] === 'fp32')) precision[i] = 'fp32';
  }

  const report: Float16Report = {
    initializersConverted: 0,
    parametersConverted: 0,
    keptFp32: {},
    nodesFp16: 0,
    castsInserted: 0,
  };
  const variants = new Map<string, Partial<Record<Precision, string>>>();
  const newNodes: Uint8Array[] = [];
  const newInits: Uint8Array[] = [];

  for (const name of inputs) if (isFloat(name)) variants.set(name, { fp32: name });
  for (const init of inits) {
    if (init.type !== ElemType.FLOAT || inputSet.has(init.name)) {
      newInits.push(init.data);
      continue;
    }
    const uses = consumers.get(init.name) ?? [];
    const half = uses.some((u) => precision[u] === 'fp16');
    const full = uses.some((u) => precision[u] === 'fp32') || outputs.includes(init.name);
    const v: Partial<Record<Precision, string>> = {};
    if (full || !half) {
      newInits.push(init.data);
      v.fp32 = init.name;
    }
    if (half) {
      v.fp16 = full ? `${init.name}__fp16` : init.name;
      const t = halfTensor(init.fields, `initializer ${init.name}`, v.fp16);
      newInits.push(t);
      report.initializersConverted++;
      report.parametersConverted += halfCount(init.fields);
    }
    variants.set(init.name, v);
  }

  const variant = (name: string, p: Precision): string => {
    const v = variants.get(name);
    if (!v) return name;
    const have = v[p];
    if (have) return have;
    const from = v[p === 'fp16' ? 'fp32' : 'fp16']!;
    const cast = `${name}__to_${p}`;
    newNodes.push(castNode(from, cast, p === 'fp16' ? ElemType.FLOAT16 : ElemType.FLOAT));
    report.castsInserted++;
    v[p] = cast;
    return cast;
  };

  nodes.forEach((node, i) => {
    const p = precision[i]!;
    const ins = node.inputs.map((x) => (x && isFloat(x) ? variant(x, p) : x));
    const outs = node.outputs.map((o) => (o && p === 'fp16' && isFloat(o) && outputs.includes(o) ? `${o}__fp16` : o));
    newNodes.push(
      encodeNode(node, ins, outs, p === 'fp16' ? halfAttributes(node) : node.attributes.map((a) => a.data!)),
    );
    if (p === 'fp32') report.keptFp32[node.opType] = (report.keptFp32[node.opType] ?? 0) + 1;
    else report.nodesFp16++;
    node.outputs.forEach((o, k) => {
      if (!o || !isFloat(o)) return;
      variants.set(o, p === 'fp16' ? { fp16: outs[k]! } : { fp32: o });
      // Graph outputs keep their float32 type and their name.
      if (p === 'fp16' && outputs.includes(o)) {
        newNodes.push(castNode(outs[k]!, o, ElemType.FLOAT));
        report.castsInserted++;
        variants.get(o)!.fp32 = o;
      }
    });
  });

  return { writer: assemble(modelFields, graphFields, newNodes, newInits), report };
}

/** ModelProto with the rewritten graph: nodes, then the graph's other fields in their order, initializers in place. */
function assemble(
  modelFields: readonly ProtoField[],
  graphFields: readonly ProtoField[],
  newNodes: readonly Uint8Array[],
  newInits: readonly Uint8Array[],
): ProtoWriter {
  const graph = new StreamingProtoWriter();
  for (const n of newNodes) graph.bytes(1, n);
  let initsWritten = false;
  for (const f of graphFields) {
    if (f.field === 1 || f.field === 13) continue;
    if (f.field === 5) {
      if (initsWritten) continue;
      initsWritten = true;
      for (const t of newInits) graph.bytes(5, t);
      continue;
    }
    copyField(graph, f);
  }
  const model = new StreamingProtoWriter();
  for (const f of modelFields) {
    if (f.field === 7) model.embed(7, graph);
    else copyField(model, f);
  }
  return model;
}
