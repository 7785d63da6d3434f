/**
 * The common header of the per-sequence blobs (src/store/codecs/sequence-*-codec.ts), so that each
 * blob says what it holds without its table row:
 *
 *   u8 version | u8 kind | u8 p[4] (kind parameters) | u16 reserved | u32 rows | u32 a | u32 b
 *
 * then the kind's payload. `rows` is the number of scored positions (P) for outputs, the sequence
 * length for tokens; `a` and `b` are the kind's two sizes (e.g. k and the vocabulary size).
 * Multi-byte numbers are little-endian.
 */
import { DistilleryError } from '../../core/errors.ts';

export const SEQUENCE_BLOB_VERSION = 1;
export const SEQUENCE_HEADER_BYTES = 20;

export const SEQUENCE_KIND = { topk: 1, samples: 2, target: 3, hidden: 4, tokens: 5 } as const;
export type SequenceKind = keyof typeof SEQUENCE_KIND;

export interface SequenceHeader {
  kind: SequenceKind;
  params: readonly [number, number, number, number];
  rows: number;
  a: number;
  b: number;
}

export function writeSequenceHeader(out: Uint8Array, h: SequenceHeader): void {
  const v = new DataView(out.buffer, out.byteOffset, SEQUENCE_HEADER_BYTES);
  v.setUint8(0, SEQUENCE_BLOB_VERSION);
  v.setUint8(1, SEQUENCE_KIND[h.kind]);
  h.params.forEach((p, i) => v.setUint8(2 + i, p));
  v.setUint16(6, 0, true);
  v.setUint32(8, h.rows, true);
  v.setUint32(12, h.a, true);
  v.setUint32(16, h.b, true);
}

export function readSequenceHeader(blob: Uint8Array, expected: SequenceKind): SequenceHeader {
  if (blob.length < SEQUENCE_HEADER_BYTES) throw new DistilleryError('INTERNAL', 'sequence blob is truncated');
  const v = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const version = v.getUint8(0);
  if (version !== SEQUENCE_BLOB_VERSION)
    throw new DistilleryError('INTERNAL', `sequence blob version ${version} is not supported`, {
      hint: 'upgrade distillery',
    });
  const code = v.getUint8(1);
  if (code !== SEQUENCE_KIND[expected])
    throw new DistilleryError('INTERNAL', `sequence blob holds kind ${code}, expected ${expected}`);
  return {
    kind: expected,
    params: [v.getUint8(2), v.getUint8(3), v.getUint8(4), v.getUint8(5)],
    rows: v.getUint32(8, true),
    a: v.getUint32(12, true),
    b: v.getUint32(16, true),
  };
}

/** Bits for an id in [0, vocabSize): the smallest width that holds the vocabulary. */
export function idBits(vocabSize: number): number {
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 24)
    throw new DistilleryError('INVALID_INPUT', `vocabulary size ${vocabSize} is not in 1..16777216`);
  return Math.max(1, Math.ceil(Math.log2(vocabSize)));
}

/** Copies a typed array's bytes (little-endian platforms: the in-memory layout is the file layout). */
export function typedBytes(a: Float32Array | Uint16Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A Float32Array copied out of `blob` at `offset` (blobs from SQLite need not be 4-byte aligned). */
export function readFloat32s(blob: Uint8Array, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(blob.subarray(offset, offset + 4 * n));
  return out;
}

export function readUint16s(blob: Uint8Array, offset: number, n: number): Uint16Array {
  const out = new Uint16Array(n);
  new Uint8Array(out.buffer).set(blob.subarray(offset, offset + 2 * n));
  return out;
}
