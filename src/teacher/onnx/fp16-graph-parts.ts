/**
 * The NodeProto and TensorProto pieces the fp16 rewrite (float16-convert.ts) reads and writes: nodes
 * parsed with the fields it does not touch kept as they were, Cast nodes, float attributes as half.
 */
import { ProtoWriter } from './protobuf-writer.ts';
import { fieldInts, fieldString, readFields, type ProtoField } from './protobuf-reader.ts';
import { halfTensor } from './half-tensor.ts';
import { attrName, attrTensor, ElemType, tensorElemType, type TypedNode } from './tensor-types.ts';

export interface Node extends TypedNode {
  name: string;
  domain: string;
  /** fields other than inputs, outputs, name, op type, attributes and domain, kept as they were */
  rest: ProtoField[];
}

export interface Initializer {
  name: string;
  type: number;
  /** the TensorProto bytes */
  data: Uint8Array;
  fields: ProtoField[];
}

export function parseNode(f: ProtoField): Node {
  const node: Node = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [], rest: [] };
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: ProtoField[] = [];
  for (const nf of readFields(f.data!)) {
    if (nf.field === 1) inputs.push(fieldString(nf));
    else if (nf.field === 2) outputs.push(fieldString(nf));
    else if (nf.field === 3) node.name = fieldString(nf);
    else if (nf.field === 4) node.opType = fieldString(nf);
    else if (nf.field === 5) attributes.push(nf);
    else if (nf.field === 7) node.domain = fieldString(nf);
    else node.rest.push(nf);
  }
  return { ...node, inputs, outputs, attributes };
}

export function parseInitializer(f: ProtoField): Initializer {
  const fields = readFields(f.data!);
  const nameField = fields.find((x) => x.field === 8);
  const typeField = fields.find((x) => x.field === 2);
  return {
    name: nameField ? fieldString(nameField) : '',
    type: typeField ? Number(fieldInts(typeField)[0]) : 0,
    data: f.data!,
    fields,
  };
}

export function valueName(f: ProtoField): string {
  return fieldString(readFields(f.data!).find((x) => x.field === 1)!);
}

/** ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> elem_type (1); 0 if not a tensor. */
export function valueElemType(f: ProtoField): number {
  const type = readFields(f.data!).find((x) => x.field === 2)?.data;
  const tensor = type && readFields(type).find((x) => x.field === 1)?.data;
  const elem = tensor && readFields(tensor).find((x) => x.field === 1);
  return elem ? Number(elem.int) : 0;
}

export function castNode(input: string, output: string, to: number): Uint8Array {
  return new ProtoWriter()
    .string(1, input)
    .string(2, output)
    .string(3, `fp16_cast_${output}`)
    .string(4, 'Cast')
    .message(5, (a) => a.string(1, 'to').int(3, to).int(20, 2))
    .finish();
}

/** Rewrites the attributes that carry a float type or float data, for a node computing in fp16. */
export function halfAttributes(node: Node): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of node.attributes) {
    const name = attrName(a);
    const fields = readFields(a.data!);
    if (node.opType === 'Cast' && name === 'to' && fields.find((x) => x.field === 3)?.int === 1n) {
      out.push(new ProtoWriter().string(1, 'to').int(3, ElemType.FLOAT16).int(20, 2).finish());
    } else if ((node.opType === 'Constant' || node.opType === 'ConstantOfShape') && name === 'value') {
      const t = attrTensor(node, 'value')!;
      if (tensorElemType(t) !== ElemType.FLOAT) out.push(a.data!);
      else out.push(tensorAttr('value', halfTensor(readFields(t), `${node.opType} ${node.name}`)));
    } else if (node.opType === 'Constant' && (name === 'value_float' || name === 'value_floats')) {
      const floats: number[] = [];
      for (const x of fields.filter((y) => y.field === 2 || y.field === 7)) {
        const view = new DataView(x.data!.buffer, x.data!.byteOffset, x.data!.byteLength);
        for (let i = 0; i + 4 <= x.data!.length; i += 4) floats.push(view.getFloat32(i, true));
      }
      const dims = name === 'value_floats' ? [floats.length] : [];
      const t = new ProtoWriter();
      if (dims.length) t.packedInts(1, dims);
      t.int(2, ElemType.FLOAT).packedFloats(4, floats);
      out.push(tensorAttr('value', halfTensor(readFields(t.finish()), `Constant ${node.name}`)));
    } else {
      out.push(a.data!);
    }
  }
  if (node.opType === 'ConstantOfShape' && !attrTensor(node, 'value')) {
    // the default value is a float32 zero
    const zero = new ProtoWriter().packedInts(1, [1]).int(2, ElemType.FLOAT16).bytes(9, new Uint8Array(2)).finish();
    out.push(tensorAttr('value', zero));
  }
  return out;
}

export function tensorAttr(name: string, tensor: Uint8Array): Uint8Array {
  return new ProtoWriter().string(1, name).bytes(5, tensor).int(20, 4).finish();
}

export function encodeNode(
  node: Node,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: Uint8Array[],
): Uint8Array {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const a of attrs) w.bytes(5, a);
  if (node.domain) w.string(7, node.domain);
  // Other node fields (doc_string, metadata) go on as they were.
  for (const r of node.rest) copyField(w, r);
  return w.finish();
}

/** Re-encodes one field read by readFields (payloads are shared, not copied). */
export function copyField(w: ProtoWriter, f: ProtoField): void {
  if (f.wireType === 0) w.int(f.field, f.int!);
  else if (f.wireType === 2) w.bytes(f.field, f.data!);
  else throw new Error(`unexpected fixed-width field ${f.field} in an ONNX message`);
}
