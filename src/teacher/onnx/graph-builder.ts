/**
 * Builds ONNX models in memory and serialises them to ModelProto bytes.
 * Deterministic: the same sequence of calls always produces the same bytes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ProtoWriter, StreamingProtoWriter } from './protobuf-writer.ts';

/** ONNX TensorProto.DataType codes. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type Dim = number | string;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: TensorData }
  | { kind: 'graph'; value: GraphBuilder };

/** Plain attribute values are mapped: integer -> int, other number -> float, string, number[] -> ints. */
export type AttrInput = number | string | number[] | AttrValue;

export interface TensorData {
  dataType: DataTypeCode;
  dims: number[];
  /** little-endian bytes of the tensor */
  raw: Uint8Array;
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  domain: string;
  attrs: [string, AttrValue][];
}

interface ValueInfo {
  name: string;
  dataType: DataTypeCode;
  dims: Dim[];
}

export function floatTensor(values: ArrayLike<number>, dims: number[]): TensorData {
  const f = Float32Array.from(values as ArrayLike<number>);
  return { dataType: DataType.FLOAT, dims, raw: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
}

export function int64Tensor(values: ArrayLike<number | bigint>, dims: number[]): TensorData {
  const a = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return { dataType: DataType.INT64, dims, raw: new Uint8Array(a.buffer) };
}

export function int8Tensor(values: Int8Array, dims: number[]): TensorData {
  return { dataType: DataType.INT8, dims, raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function uint8Tensor(values: Uint8Array, dims: number[]): TensorData {
  return { dataType: DataType.UINT8, dims, raw: Uint8Array.from(values) };
}

export function boolTensor(values: boolean[], dims: number[]): TensorData {
  return { dataType: DataType.BOOL, dims, raw: Uint8Array.from(values, (v) => (v ? 1 : 0)) };
}

function toAttr(v: AttrInput): AttrValue {
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'ints', value: v };
  return v;
}

export class GraphBuilder {
  readonly name: string;
  #nodes: NodeSpec[] = [];
  #inits = new Map<string, TensorData>();
  #inputs: ValueInfo[] = [];
  #outputs: ValueInfo[] = [];
  #counter = 0;
  readonly #prefix: string;

  /** `prefix` starts every node and fresh value name: a patch appended to another graph cannot collide with it. */
  constructor(name: string, opts: { prefix?: string } = {}) {
    this.name = name;
    this.#prefix = opts.prefix ?? '';
  }

  input(name: string, dataType: DataTypeCode, dims: Dim[]): string {
    this.#inputs.push({ name, dataType, dims });
    return name;
  }

  output(name: string, dataType: DataTypeCode, dims: Dim[]): string {
    this.#outputs.push({ name, dataType, dims });
    return name;
  }

  /** Registers a constant tensor (weight) and returns its name. */
  init(name: string, tensor: TensorData): string {
    if (this.#inits.has(name)) throw new Error(`initializer ${name} defined twice`);
    this.#inits.set(name, tensor);
    return name;
  }

  /** A fresh, unique value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${this.#prefix}${prefix}_${this.#counter++}`;
  }

  /**
   * Adds a node. `outputs` may be a number (how many fresh outputs to create) or explicit names.
   * Returns the output names.
   */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrInput> = {},
    outputs: number | string[] = 1,
    domain = '',
  ): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op)) : outputs;
    this.#nodes.push({
      op,
      inputs,
      outputs: outs,
      name: `${this.#prefix}${op}_node_${this.#nodes.length}`,
      domain,
      attrs: Object.entries(attrs).map(([k, v]) => [k, toAttr(v)]),
    });
    return outs;
  }

  /** Single-output shorthand for node(). */
  op(op: string, inputs: string[], attrs: Record<string, AttrInput> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : 1)[0]!;
  }

  get outputNames(): string[] {
    return this.#outputs.map((o) => o.name);
  }

  encode(w: ProtoWriter): void {
    for (const n of this.#nodes) w.message(1, (nw) => encodeNode(nw, n));
    w.string(2, this.name);
    for (const [name, t] of this.#inits) w.message(5, (tw) => encodeTensor(tw, t, name));
    for (const i of this.#inputs) w.message(11, (vw) => encodeValueInfo(vw, i));
    for (const o of this.#outputs) w.message(12, (vw) => encodeValueInfo(vw, o));
  }
}

function encodeTensor(w: ProtoWriter, t: TensorData, name?: string): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (name !== undefined) w.string(8, name);
  w.bytes(9, t.raw);
}

function encodeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (tw) =>
    tw.message(1, (tt) => {
      tt.int(1, v.dataType);
      tt.message(2, (sw) => {
        for (const d of v.dims) sw.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d)));
      });
    }),
  );
}

function encodeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, a] of n.attrs) w.message(5, (aw) => encodeAttr(aw, name, a));
  if (n.domain) w.string(7, n.domain);
}

function encodeAttr(w: ProtoWriter, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value).int(20, 1);
      break;
    case 'int':
      w.int(3, a.value).int(20, 2);
      break;
    case 'string':
      w.string(4, a.value).int(20, 3);
      break;
    case 'tensor':
      w.message(5, (tw) => encodeTensor(tw, a.value)).int(20, 4);
      break;
    case 'graph':
      w.message(6, (gw) => a.value.encode(gw)).int(20, 5);
      break;
    case 'floats':
      w.packedFloats(7, a.value).int(20, 6);
      break;
    case 'ints':
      w.packedInts(8, a.value).int(20, 7);
      break;
  }
}

export interface ModelOptions {
  opset?: number;
  producer?: string;
  /** extra opset imports, e.g. { 'com.microsoft': 1 } */
  extraOpsets?: Record<string, number>;
}

/** Serialises a graph into ONNX ModelProto bytes (IR version 8). */
export function encodeModel(graph: GraphBuilder, opts: ModelOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  writeModelProto(w, graph, opts);
  return w.finish();
}

/** Writes the same bytes as encodeModel straight to a file, chunk by chunk (for models of hundreds of MB). */
export function writeModelFile(file: string, graph: GraphBuilder, opts: ModelOptions = {}): void {
  const w = new StreamingProtoWriter();
  writeModelProto(w, graph, opts);
  const fd = openSync(file, 'w');
  try {
    w.forEachChunk((chunk) => {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    });
  } finally {
    closeSync(fd);
  }
}

/** A float tensor that shares the array's memory (no copy); the array must not change before encoding. */
export function floatTensorView(values: Float32Array, dims: number[]): TensorData {
  return { dataType: DataType.FLOAT, dims, raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function writeModelProto(w: ProtoWriter, graph: GraphBuilder, opts: ModelOptions): void {
  w.int(1, 8);
  w.string(2, opts.producer ?? 'distillery');
  w.string(3, '0.1.0');
  w.message(7, (gw) => graph.encode(gw));
  w.message(8, (ow) => ow.string(1, '').int(2, opts.opset ?? 17));
  for (const [domain, version] of Object.entries(opts.extraOpsets ?? {})) {
    w.message(8, (ow) => ow.string(1, domain).int(2, version));
  }
}
