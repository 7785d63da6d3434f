/**
 * Self-describing tensor blobs: every stored blob carries its dtype and shape, so a row can be
 * decoded without knowing what wrote it.
 *
 * Layout (little endian):
 *   u8 version (1) | u8 dtype | u8 ndim | u8 reserved (0) | u32 dims[ndim] | payload
 * Payload per dtype:
 *   fp32: f32[n]
 *   fp16: u16[n] (binary16 bits)
 *   int8: f32 scale[rows] | i8[n]   rows = product of all dims but the last; x ~= q * scale[row]
 * The header is a multiple of 4 bytes, so fp32 payloads stay 4-byte aligned.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { Encoding } from '../../core/types.ts';
import { decodeFloat16, encodeFloat16 } from '../../core/float16.ts';

export const BLOB_VERSION = 1;
export const DTYPE_CODES: Readonly<Record<Encoding, number>> = Object.freeze({ fp32: 1, fp16: 2, int8: 3 });
const CODE_DTYPES: Readonly<Record<number, Encoding>> = Object.freeze({ 1: 'fp32', 2: 'fp16', 3: 'int8' });

export interface DecodedTensor {
  dtype: Encoding;
  shape: number[];
  data: Float32Array;
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function checkShape(data: Float32Array, shape: readonly number[]): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff) || product(shape) !== data.length) {
    throw new DistilleryError(
      'INVALID_INPUT',
      `tensor of ${data.length} values does not match shape [${shape.join(', ')}]`,
    );
  }
}

/** Bytes of the payload for `n` values with `rows` rows. */
export function payloadBytes(dtype: Encoding, n: number, rows: number): number {
  switch (dtype) {
    case 'fp32':
      return 4 * n;
    case 'fp16':
      return 2 * n;
    case 'int8':
      return 4 * rows + n;
  }
}

export function rowsOf(shape: readonly number[]): number {
  return shape.length <= 1 ? 1 : product(shape.slice(0, -1));
}

/** Write the payload of `data` in `dtype` at `out[offset..]`; returns bytes written. */
export function writePayload(out: Buffer, offset: number, dtype: Encoding, data: Float32Array, rows: number): number {
  switch (dtype) {
    case 'fp32': {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      bytes.copy(out, offset);
      return bytes.length;
    }
    case 'fp16': {
      const bits = encodeFloat16(data);
      Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength).copy(out, offset);
      return bits.byteLength;
    }
    case 'int8': {
      const cols = rows === 0 ? 0 : data.length / rows;
      let q = offset + 4 * rows;
      for (let r = 0; r < rows; r++) {
        let maxAbs = 0;
        for (let c = 0; c < cols; c++) maxAbs = Math.max(maxAbs, Math.abs(data[r * cols + c]!));
        const scale = maxAbs === 0 || !Number.isFinite(maxAbs) ? 1 : maxAbs / 127;
        out.writeFloatLE(scale, offset + 4 * r);
        for (let c = 0; c < cols; c++)
          out.writeInt8(Math.max(-127, Math.min(127, Math.round(data[r * cols + c]! / scale))), q++);
      }
      return 4 * rows + data.length;
    }
  }
}

/** Read `n` values in `dtype` from `buf[offset..]`. */
export function readPayload(buf: Buffer, offset: number, dtype: Encoding, n: number, rows: number): Float32Array {
  switch (dtype) {
    case 'fp32': {
      // copy: SQLite buffers need not be 4-byte aligned, and callers may keep the array
      const out = new Float32Array(n);
      Buffer.from(out.buffer).set(buf.subarray(offset, offset + 4 * n));
      return out;
    }
    case 'fp16': {
      const bits = new Uint16Array(n);
      Buffer.from(bits.buffer).set(buf.subarray(offset, offset + 2 * n));
      return decodeFloat16(bits);
    }
    case 'int8': {
      const out = new Float32Array(n);
      const cols = rows === 0 ? 0 : n / rows;
      const q = offset + 4 * rows;
      for (let r = 0; r < rows; r++) {
        const scale = buf.readFloatLE(offset + 4 * r);
        for (let c = 0; c < cols; c++) out[r * cols + c] = buf.readInt8(q + r * cols + c) * scale;
      }
      return out;
    }
  }
}

export function encodeTensor(data: Float32Array, shape: readonly number[], dtype: Encoding): Buffer {
  checkShape(data, shape);
  const rows = rowsOf(shape);
  const header = 4 + 4 * shape.length;
  const out = Buffer.allocUnsafe(header + payloadBytes(dtype, data.length, rows));
  out.writeUInt8(BLOB_VERSION, 0);
  out.writeUInt8(DTYPE_CODES[dtype], 1);
  out.writeUInt8(shape.length, 2);
  out.writeUInt8(0, 3);
  shape.forEach((d, i) => out.writeUInt32LE(d, 4 + 4 * i));
  writePayload(out, header, dtype, data, rows);
  return out;
}

/** Header fields of a blob written by encodeTensor (or the top-k codec). */
export function readHeader(buf: Buffer): { dtypeCode: number; shape: number[]; offset: number; aux: number } {
  if (buf.length < 4 || buf.readUInt8(0) !== BLOB_VERSION) {
    throw new DistilleryError('INTERNAL', 'stored tensor blob has an unknown format', {
      hint: 'the database was written by a newer distillery; upgrade, or relabel into a fresh database',
    });
  }
  const ndim = buf.readUInt8(2);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(buf.readUInt32LE(4 + 4 * i));
  return { dtypeCode: buf.readUInt8(1), shape, offset: 4 + 4 * ndim, aux: buf.readUInt8(3) };
}

export function dtypeOfCode(code: number): Encoding {
  const dtype = CODE_DTYPES[code];
  if (!dtype) throw new DistilleryError('INTERNAL', `stored tensor blob has unknown dtype code ${code}`);
  return dtype;
}

export function decodeTensor(buf: Buffer): DecodedTensor {
  const { dtypeCode, shape, offset } = readHeader(buf);
  const dtype = dtypeOfCode(dtypeCode);
  const n = product(shape);
  return { dtype, shape, data: readPayload(buf, offset, dtype, n, rowsOf(shape)) };
}

/**
 * The stored binary16 bits of an fp16 blob without decoding them (undefined for other dtypes), so
 * an fp16 export column can take them as they are: a view into `buf` when it is 2-byte aligned
 * (the caller hands over a buffer it owns, as SQLite reads are), else a copy. NaNs are rewritten
 * to 0x7e00, the bits decodeTensor + encodeFloat16 would give, so both paths write the same bytes.
 */
export function float16Payload(buf: Buffer): Uint16Array | undefined {
  if (buf.length < 4 || buf.readUInt8(0) !== BLOB_VERSION || buf.readUInt8(1) !== DTYPE_CODES.fp16) return undefined;
  const { shape, offset } = readHeader(buf);
  const n = product(shape);
  const start = buf.byteOffset + offset;
  let bits: Uint16Array;
  if (start % 2 === 0) bits = new Uint16Array(buf.buffer, start, n);
  else {
    bits = new Uint16Array(n);
    Buffer.from(bits.buffer).set(buf.subarray(offset, offset + 2 * n));
  }
  if (hasFloat16NaN(bits)) for (let i = 0; i < n; i++) if ((bits[i]! & 0x7fff) > 0x7c00) bits[i] = 0x7e00;
  return bits;
}

/**
 * Whether any half is a NaN, two halves per step where the view allows: a half h is NaN when
 * (h & 0x7fff) + 0x03ff reaches bit 15, and the sum never carries into the neighbouring half.
 * (An export reads tens of millions of halves; this is half the loop of the plain check.)
 */
function hasFloat16NaN(bits: Uint16Array): boolean {
  const pairs = bits.byteOffset % 4 === 0 ? bits.length >> 1 : 0;
  if (pairs > 0) {
    const words = new Uint32Array(bits.buffer, bits.byteOffset, pairs);
    let any = 0;
    for (let i = 0; i < pairs; i++) any |= ((words[i]! & 0x7fff7fff) + 0x03ff03ff) & 0x80008000;
    if (any !== 0) return true;
  }
  for (let i = 2 * pairs; i < bits.length; i++) if ((bits[i]! & 0x7fff) > 0x7c00) return true;
  return false;
}
