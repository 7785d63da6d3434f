/**
 * Sparse top-k blobs: for each of `rows` rows, k ids, k values and the log-sum-exp of the full row
 * (so a trainer knows the probability mass outside the top k).
 *
 * Layout: tensor-codec header with dtype code TOPK_CODE, shape [rows, k] and the value dtype in the
 * reserved byte | f32 lse[rows] | i32 ids[rows*k] | values payload (fp32 / fp16 / int8 with row scale).
 */
import { DistilleryError } from '../../core/errors.ts';
import type { Encoding, TopK } from '../../core/types.ts';
import {
  BLOB_VERSION,
  DTYPE_CODES,
  dtypeOfCode,
  payloadBytes,
  readHeader,
  readPayload,
  writePayload,
} from './tensor-codec.ts';

export const TOPK_CODE = 4;

export function encodeTopK(rows: readonly TopK[], dtype: Encoding): Buffer {
  const k = rows[0]?.ids.length ?? 0;
  for (const r of rows) {
    if (r.ids.length !== k || r.logits.length !== k) {
      throw new DistilleryError('INVALID_INPUT', `top-k rows must all have k=${k} ids and values`);
    }
  }
  const n = rows.length * k;
  const header = 12;
  const out = Buffer.allocUnsafe(header + 4 * rows.length + 4 * n + payloadBytes(dtype, n, rows.length));
  out.writeUInt8(BLOB_VERSION, 0);
  out.writeUInt8(TOPK_CODE, 1);
  out.writeUInt8(2, 2);
  out.writeUInt8(DTYPE_CODES[dtype], 3);
  out.writeUInt32LE(rows.length, 4);
  out.writeUInt32LE(k, 8);
  let o = header;
  for (const r of rows) o = out.writeFloatLE(r.logSumExp, o);
  for (const r of rows) for (let i = 0; i < k; i++) o = out.writeInt32LE(r.ids[i]!, o);
  const values = new Float32Array(n);
  rows.forEach((r, i) => values.set(r.logits, i * k));
  writePayload(out, o, dtype, values, rows.length);
  return out;
}

export function decodeTopK(buf: Buffer): { dtype: Encoding; rows: TopK[] } {
  const { dtypeCode, shape, offset, aux } = readHeader(buf);
  if (dtypeCode !== TOPK_CODE || shape.length !== 2)
    throw new DistilleryError('INTERNAL', 'stored blob is not a top-k blob');
  const dtype = dtypeOfCode(aux);
  const [n, k] = shape as [number, number];
  let o = offset;
  const lse: number[] = [];
  for (let r = 0; r < n; r++, o += 4) lse.push(buf.readFloatLE(o));
  const ids = new Int32Array(n * k);
  for (let i = 0; i < n * k; i++, o += 4) ids[i] = buf.readInt32LE(o);
  const values = readPayload(buf, o, dtype, n * k, n);
  const rows: TopK[] = [];
  for (let r = 0; r < n; r++) {
    rows.push({ ids: ids.slice(r * k, (r + 1) * k), logits: values.slice(r * k, (r + 1) * k), logSumExp: lse[r]! });
  }
  return { dtype, rows };
}
