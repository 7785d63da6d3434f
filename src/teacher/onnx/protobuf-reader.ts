/**
 * Minimal protobuf wire-format reader. Fields keep their raw bytes so a message can be
 * rewritten (for example, outputs appended to a graph) without knowing every field.
 */
export interface ProtoField {
  field: number;
  wireType: number;
  /** varint value (wire type 0) */
  int?: bigint;
  /** payload of fixed32/fixed64/length-delimited fields */
  data?: Uint8Array;
  /** the whole field, tag included, exactly as read */
  raw: Uint8Array;
}

export function readFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated protobuf varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const start = pos;
    const tag = Number(varint());
    const field = tag >>> 3;
    const wireType = tag & 7;
    let f: ProtoField;
    if (wireType === 0) {
      f = { field, wireType, int: varint(), raw: buf.subarray(0, 0) };
    } else if (wireType === 1 || wireType === 5) {
      const n = wireType === 1 ? 8 : 4;
      f = { field, wireType, data: buf.subarray(pos, pos + n), raw: buf.subarray(0, 0) };
      pos += n;
    } else if (wireType === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated protobuf field');
      f = { field, wireType, data: buf.subarray(pos, pos + len), raw: buf.subarray(0, 0) };
      pos += len;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
    f.raw = buf.subarray(start, pos);
    fields.push(f);
  }
  return fields;
}

const decoder = new TextDecoder();
export const fieldString = (f: ProtoField): string => decoder.decode(f.data ?? new Uint8Array());

/** Decodes a packed (or single, unpacked) repeated varint field. */
export function fieldInts(f: ProtoField): bigint[] {
  if (f.wireType === 0) return [f.int ?? 0n];
  const out: bigint[] = [];
  const data = f.data ?? new Uint8Array();
  let pos = 0;
  while (pos < data.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(result);
  }
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
