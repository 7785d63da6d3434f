/**
 * Element types of every value in an ONNX graph, inferred forward from the graph inputs, the
 * initializers and a small table of op rules. Graph rewrites (fp16 conversion) need to know which
 * values are float32; the graph's own value_info is optional and often missing, so it is not trusted.
 */
import { fieldInts, readFields, type ProtoField } from './protobuf-reader.ts';

/** ONNX TensorProto.DataType codes used here. */
export const ElemType = { FLOAT: 1, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;

export interface TypedNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly ProtoField[];
}

const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin']);
const BOOL_OUT = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
]);

/** AttributeProto fields: name 1, i 3, t 5; TensorProto data_type 2. */
export function attrName(a: ProtoField): string {
  const f = readFields(a.data!).find((x) => x.field === 1);
  return f ? new TextDecoder().decode(f.data) : '';
}

export function attrInt(node: TypedNode, name: string): number | undefined {
  const a = node.attributes.find((x) => attrName(x) === name);
  const f = a && readFields(a.data!).find((x) => x.field === 3);
  return f ? Number(BigInt.asIntN(64, f.int!)) : undefined;
}

export function attrTensor(node: TypedNode, name: string): Uint8Array | undefined {
  const a = node.attributes.find((x) => attrName(x) === name);
  return a && readFields(a.data!).find((x) => x.field === 5)?.data;
}

export function tensorElemType(tensor: Uint8Array): number {
  const f = readFields(tensor).find((x) => x.field === 2);
  return f ? Number(fieldInts(f)[0]) : 0;
}

function constantType(node: TypedNode): number {
  const t = attrTensor(node, 'value');
  if (t) return tensorElemType(t);
  const names = node.attributes.map(attrName);
  if (names.includes('value_float') || names.includes('value_floats')) return ElemType.FLOAT;
  return ElemType.INT64;
}

/** The element type of each output of `node`, given the types known so far (0 = unknown). */
function outputTypes(node: TypedNode, typeOf: (name: string) => number): number[] {
  const ins = node.inputs.map((n) => (n ? typeOf(n) : 0));
  const firstFloat = ins.find((t) => t === ElemType.FLOAT || t === ElemType.FLOAT16);
  const main = firstFloat ?? ins[0] ?? 0;
  const op = node.opType;
  const first =
    op === 'Cast'
      ? (attrInt(node, 'to') ?? 0)
      : op === 'CastLike'
        ? (ins[1] ?? 0)
        : op === 'Constant'
          ? constantType(node)
          : op === 'ConstantOfShape'
            ? attrTensor(node, 'value')
              ? tensorElemType(attrTensor(node, 'value')!)
              : ElemType.FLOAT
            : op === 'Where'
              ? (ins[1] ?? 0)
              : op === 'Range'
                ? (ins[0] ?? 0)
                : INT64_OUT.has(op)
                  ? ElemType.INT64
                  : BOOL_OUT.has(op)
                    ? ElemType.BOOL
                    : main;
  return node.outputs.map((_, i) => {
    if (i === 0) return first;
    if (op === 'TopK') return ElemType.INT64;
    if (op === 'Dropout') return ElemType.BOOL;
    if (op === 'LayerNormalization') return ElemType.FLOAT;
    return main;
  });
}

/** Types of every named value: graph inputs and initializers as given, node outputs by rule, in graph order. */
export function inferElemTypes(sources: ReadonlyMap<string, number>, nodes: readonly TypedNode[]): Map<string, number> {
  const types = new Map(sources);
  const typeOf = (n: string): number => types.get(n) ?? 0;
  for (const node of nodes) {
    const outs = outputTypes(node, typeOf);
    node.outputs.forEach((o, i) => {
      if (o) types.set(o, outs[i]!);
    });
  }
  return types;
}
