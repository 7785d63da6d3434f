/**
 * Decoding of the top-k blobs written by sequence-topk-codec.ts (layout and error bounds there).
 *
 * A blob's rows are decoded either into new arrays (decodeSequenceTopK) or, later, straight into
 * arrays the caller owns (StoredTopK.decodeInto): the Parquet export hands it the bytes of its
 * token_ids / top_values columns, so a stored row is decoded once, where the file needs it, and
 * never copied.
 */
import { DistilleryError } from '../../core/errors.ts';
import { decodeFloat16 } from '../../core/float16.ts';
import { BitReader } from './bit-stream.ts';
import { SEQUENCE_HEADER_BYTES, idBits, readFloat32s, readSequenceHeader, readUint16s } from './sequence-blob.ts';
import { LOGPROB_FLOOR, type SequenceTopK, type TopKQuantizer } from './sequence-topk-codec.ts';

/** Tails whose depths span fewer grid steps than this are sorted by counting. */
const COUNTING_SORT_MAX = 4096;

export interface DecodedSequenceTopK extends SequenceTopK {
  lse: Float32Array;
  vocabSize: number;
  quantizer: TopKQuantizer;
}

/**
 * The top-k rows of one stored blob: k, the log-sum-exp and the tail mass are read at once; the
 * rows are decoded on first use of `ids` / `logprobs`, or into the caller's arrays by decodeInto.
 */
export class StoredTopK implements SequenceTopK {
  readonly k: number;
  /** scored positions (P) */
  readonly rows: number;
  readonly vocabSize: number;
  readonly quantizer: TopKQuantizer;
  readonly lse: Float32Array;
  readonly tailMass: Float32Array;
  readonly #blob: Uint8Array;
  #decoded: { ids: Int32Array; logprobs: Float32Array } | undefined;

  constructor(blob: Uint8Array) {
    const hd = readSequenceHeader(blob, 'topk');
    const [head, headStepLog2, tailStepLog2] = hd.params;
    this.k = hd.a;
    this.rows = hd.rows;
    this.vocabSize = hd.b;
    this.quantizer = { head, headStepLog2, tailStepLog2 };
    this.lse = readFloat32s(blob, SEQUENCE_HEADER_BYTES, hd.rows);
    this.tailMass = decodeFloat16(readUint16s(blob, SEQUENCE_HEADER_BYTES + 4 * hd.rows, hd.rows));
    this.#blob = blob;
  }

  get ids(): Int32Array {
    return this.#rowArrays().ids;
  }

  get logprobs(): Float32Array {
    return this.#rowArrays().logprobs;
  }

  /**
   * Writes row p at element (at ? at[p] : p) * k of `ids` and of `logprobs` (`at` ascending, one
   * entry per row); the elements of other rows are left as they are.
   */
  decodeInto(ids: Int32Array, logprobs: Float32Array, at?: Int32Array): void {
    const { rows, k } = this;
    if (at !== undefined && at.length !== rows)
      throw new DistilleryError('INTERNAL', `top-k blob has ${rows} rows, ${at.length} destinations given`);
    const end = rows === 0 ? 0 : ((at === undefined ? rows - 1 : at[rows - 1]!) + 1) * k;
    if (ids.length < end || logprobs.length < end)
      throw new DistilleryError('INTERNAL', `top-k rows need ${end} elements, the arrays hold fewer`);
    if (this.#decoded) {
      for (let p = 0; p < rows; p++) {
        const to = (at === undefined ? p : at[p]!) * k;
        ids.set(this.#decoded.ids.subarray(p * k, p * k + k), to);
        logprobs.set(this.#decoded.logprobs.subarray(p * k, p * k + k), to);
      }
      return;
    }
    decodeRows(this.#blob, this, ids, logprobs, at);
  }

  #rowArrays(): { ids: Int32Array; logprobs: Float32Array } {
    if (!this.#decoded) {
      const ids = new Int32Array(this.rows * this.k);
      const logprobs = new Float32Array(this.rows * this.k);
      decodeRows(this.#blob, this, ids, logprobs, undefined);
      this.#decoded = { ids, logprobs };
    }
    return this.#decoded;
  }
}

export function decodeSequenceTopK(blob: Uint8Array): DecodedSequenceTopK {
  const s = new StoredTopK(blob);
  const { k, tailMass, lse, vocabSize, quantizer } = s;
  return { k, ids: s.ids, logprobs: s.logprobs, tailMass, lse, vocabSize, quantizer };
}

/** The rows of the bit stream, row p at element (at ? at[p] : p) * k. */
function decodeRows(
  blob: Uint8Array,
  shape: Pick<StoredTopK, 'k' | 'rows' | 'vocabSize' | 'quantizer'>,
  ids: Int32Array,
  logprobs: Float32Array,
  at: Int32Array | undefined,
): void {
  const { rows, k } = shape;
  const { head, headStepLog2, tailStepLog2 } = shape.quantizer;
  const bitsPerId = idBits(shape.vocabSize);
  const h = Math.min(head, k);
  const m = k - h;
  // grid steps are powers of two: multiplying by them is exact, as dividing by 2^log2 was
  const headStep = 2 ** -headStepLog2;
  const tailStep = 2 ** -tailStepLog2;
  const r = new BitReader(blob, SEQUENCE_HEADER_BYTES + 6 * rows);
  const tailIds = new Int32Array(m);
  const keys = new Float64Array(m);
  const depths = new Int32Array(m);
  const starts = new Int32Array(COUNTING_SORT_MAX + 1);
  for (let p = 0; p < rows; p++) {
    const base = (at === undefined ? p : at[p]!) * k;
    let Q = 0;
    for (let i = 0; i < h; i++) ids[base + i] = r.bits(bitsPerId);
    if (h > 0) {
      Q = r.expGolomb();
      logprobs[base] = -Q * headStep;
      const rh = r.bits(5);
      for (let i = 1; i < h; i++) {
        Q += r.rice(rh);
        logprobs[base + i] = -Q * headStep;
      }
    }
    if (m === 0) continue;
    const ref = Q * headStep;
    const ri = r.bits(5);
    let id = -1;
    for (let j = 0; j < m; j++) {
      id += r.rice(ri) + 1;
      tailIds[j] = id;
    }
    const tmax = r.expGolomb();
    const rv = r.bits(5);
    for (let j = 0; j < m; j++) depths[j] = tmax - r.rice(rv);
    const out = base + h;
    if (tmax < COUNTING_SORT_MAX) {
      // counting sort by depth; ids were decoded ascending, so ties stay in id order
      starts.fill(0, 0, tmax + 2);
      for (let j = 0; j < m; j++) starts[depths[j]! + 1]!++;
      for (let d = 1; d <= tmax + 1; d++) starts[d]! += starts[d - 1]!;
      for (let j = 0; j < m; j++) {
        const d = depths[j]!;
        const to = out + starts[d]!++;
        ids[to] = tailIds[j]!;
        logprobs[to] = -Math.min(ref + d * tailStep, -LOGPROB_FLOOR);
      }
      continue;
    }
    // deep tails: sort by depth, ties by id: key = t * 2^24 + id (ids < 2^24)
    for (let j = 0; j < m; j++) keys[j] = depths[j]! * 16777216 + tailIds[j]!;
    keys.sort();
    for (let j = 0; j < m; j++) {
      const key = keys[j]!;
      const t = Math.floor(key / 16777216);
      ids[out + j] = key - t * 16777216;
      logprobs[out + j] = -Math.min(ref + t * tailStep, -LOGPROB_FLOOR);
    }
  }
}

/** The tail mass of each row alone, read from its fixed place without decoding the rows (reports). */
export function decodeSequenceTailMass(blob: Uint8Array): Float32Array {
  const { rows } = readSequenceHeader(blob, 'topk');
  return decodeFloat16(readUint16s(blob, SEQUENCE_HEADER_BYTES + 4 * rows, rows));
}
