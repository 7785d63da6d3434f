/** float32 TensorProtos (initializers, Constant values) rewritten as float16 ones. */
import { DistilleryError } from '../../core/errors.ts';
import { encodeFloat16 } from '../../core/float16.ts';
import { ProtoWriter } from './protobuf-writer.ts';
import { fieldInts, type ProtoField } from './protobuf-reader.ts';
import { ElemType } from './tensor-types.ts';

const HALF_MAX = 65504;

/** The float32 values of a TensorProto (raw_data or float_data). */
export function tensorFloats(fields: readonly ProtoField[], what: string): Float32Array {
  if (fields.some((x) => x.field === 13 || (x.field === 14 && x.int === 1n))) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', `${what} keeps its data in an external file`, {
      hint: 'fp16 conversion needs the weights inside the .onnx file (models under 2 GB); re-export without external data',
    });
  }
  const raw = fields.find((x) => x.field === 9)?.data;
  if (raw) {
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  const values: number[] = [];
  for (const x of fields.filter((y) => y.field === 4)) {
    const view = new DataView(x.data!.buffer, x.data!.byteOffset, x.data!.byteLength);
    for (let i = 0; i + 4 <= x.data!.length; i += 4) values.push(view.getFloat32(i, true));
  }
  return Float32Array.from(values);
}

/** A float32 TensorProto as float16, finite values clamped to the half range. */
export function halfTensor(fields: readonly ProtoField[], what: string, rename?: string): Uint8Array {
  const values = tensorFloats(fields, what);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && Math.abs(v) > HALF_MAX) values[i] = Math.sign(v) * HALF_MAX;
  }
  const bits = encodeFloat16(values);
  const w = new ProtoWriter();
  const dims = fields.filter((x) => x.field === 1).flatMap(fieldInts);
  if (dims.length) w.packedInts(1, dims);
  w.int(2, ElemType.FLOAT16);
  const name = rename ?? fields.find((x) => x.field === 8);
  if (typeof name === 'string') w.string(8, name);
  else if (name) w.bytes(8, name.data!);
  w.bytes(9, new Uint8Array(bits.buffer));
  return w.finish();
}

/** Element count of a tensor, from its dims. */
export function halfCount(fields: readonly ProtoField[]): number {
  return fields
    .filter((x) => x.field === 1)
    .flatMap(fieldInts)
    .reduce((n, d) => n * Number(d), 1);
}
