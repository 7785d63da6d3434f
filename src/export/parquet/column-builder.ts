/**
 * One column of the row group being written: each row's value is encoded (PLAIN values, RLE
 * level runs) the moment it is added, so a row's objects, and the SQLite buffers behind them,
 * die young instead of surviving a whole row group; the buffers keep their capacity from one row
 * group to the next.
 */
import { DistilleryError } from '../../core/errors.ts';
import { Bytes, LevelRuns } from './page-encoding.ts';
import type {
  ListValue,
  NestedValue,
  ParquetColumn,
  ReservedValues,
  ScalarType,
  ScalarValue,
} from './parquet-types.ts';

/** utf8 needs at most 3 bytes per UTF-16 unit */
const MAX_UTF8_PER_UNIT = 3;

export class ColumnBuilder {
  readonly column: ParquetColumn;
  /** PLAIN-encoded values of the rows added since the last reset */
  readonly values: Bytes;
  rows = 0;
  /** level entries: rows for flat columns, list elements (or one per empty/null list) for lists */
  numValues = 0;
  #rep: LevelRuns | undefined;
  #def: LevelRuns | undefined;
  #bools = 0;

  /** `pageBytes`: the value bytes a page is expected to hold (the buffer keeps its size between pages) */
  constructor(column: ParquetColumn, pageBytes?: number) {
    this.column = column;
    this.values = new Bytes(pageBytes);
    this.reset();
  }

  reset(): void {
    this.values.length = 0;
    this.rows = 0;
    this.numValues = 0;
    this.#bools = 0;
    const c = this.column;
    this.#rep = c.kind !== 'scalar' ? new LevelRuns() : undefined;
    this.#def = c.kind !== 'scalar' || c.optional ? new LevelRuns() : undefined;
  }

  /** Adds one row's value; for a `reserve` cell, returns the view of its values that the caller fills. */
  add(v: ScalarValue | ListValue | NestedValue): ReservedValues | undefined {
    const c = this.column;
    this.rows++;
    if (c.kind === 'nested') return this.#nested(v as NestedValue);
    if (c.kind === 'scalar') {
      this.numValues++;
      if (v === null) {
        if (!this.#def) throw new DistilleryError('INTERNAL', `parquet column ${c.name} is required but has nulls`);
        this.#def.push(0, 1);
        return;
      }
      this.#def?.push(1, 1);
      this.#scalar(c.type, v as Exclude<ScalarValue, null>);
      return;
    }
    const list = v as ListValue;
    const n = list === null ? 0 : list.length;
    this.#rep!.push(0, 1);
    if (n === 0) {
      this.numValues++;
      this.#def!.push(list === null ? 0 : 1, 1);
      return;
    }
    this.numValues += n;
    this.#rep!.push(1, n - 1);
    this.#def!.push(2, n);
    const out = this.values;
    if (c.element === 'STRING') for (const s of list as readonly string[]) this.#scalar('STRING', s);
    else if (c.element === 'INT64' && list instanceof Int32Array) {
      out.ensure(8 * n);
      for (const x of list) out.length = out.buf.writeBigInt64LE(BigInt(x), out.length);
    } else if (list instanceof Float32Array && n <= 8) {
      // logits and probabilities of a few labels: element writes beat making a byte view per row
      out.ensure(4 * n);
      for (let i = 0; i < n; i++) out.length = out.buf.writeFloatLE(list[i]!, out.length);
    } else {
      const typed = list as Float32Array | Uint16Array | BigInt64Array;
      out.bytes(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    }
  }

  /**
   * Levels of list<list<x>>: rep 0 starts the row, 1 a new inner list, 2 the next element of one;
   * def 0 null row, 1 no inner lists, 2 an empty inner list, 3 an element. The values of a row are
   * contiguous, so they go out in one copy.
   */
  #nested(v: NestedValue): ReservedValues | undefined {
    const rep = this.#rep!;
    const def = this.#def!;
    const lists = v === null ? 0 : 'offsets' in v ? v.offsets.length - 1 : v.rows;
    if (v === null || lists === 0) {
      this.numValues++;
      rep.push(0, 1);
      def.push(v === null ? 0 : 1, 1);
      return;
    }
    const start = 'offsets' in v ? v.offsets[0]! : 0;
    for (let i = 0; i < lists; i++) {
      const n = 'offsets' in v ? v.offsets[i + 1]! - v.offsets[i]! : v.width;
      rep.push(i === 0 ? 0 : 1, 1);
      if (n === 0) {
        def.push(2, 1);
        this.numValues++;
        continue;
      }
      rep.push(2, n - 1);
      def.push(3, n);
      this.numValues += n;
    }
    if ('reserve' in v) return this.#reserve(v.rows * v.width);
    if ('at' in v) {
      this.#scatter(v);
      return;
    }
    const end = 'offsets' in v ? v.offsets[lists]! : lists * v.width;
    const values = v.values.subarray(start, end);
    this.values.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  /** `n` values' bytes at the end of the page, as a typed view (4-byte values keep the page aligned). */
  #reserve(n: number): ReservedValues {
    const out = this.values;
    out.ensure(4 * n);
    const at = out.buf.byteOffset + out.length;
    out.length += 4 * n;
    if (at % 4 !== 0) throw new DistilleryError('INTERNAL', `parquet column ${this.column.name} is not 4-byte aligned`);
    return this.column.kind === 'nested' && this.column.element === 'FLOAT'
      ? new Float32Array(out.buf.buffer, at, n)
      : new Int32Array(out.buf.buffer, at, n);
  }

  /** Values rows placed among padding rows: runs of consecutive rows go out in one copy. */
  #scatter(v: { rows: number; width: number; values: Int32Array | Float32Array; at: Int32Array; pad: number }): void {
    const rowBytes = v.width * 4;
    const pad = v.values instanceof Float32Array ? new Float32Array(v.width) : new Int32Array(v.width);
    pad.fill(v.pad);
    const padBytes = new Uint8Array(pad.buffer);
    const src = new Uint8Array(v.values.buffer, v.values.byteOffset, v.values.byteLength);
    const out = this.values;
    out.ensure(v.rows * rowBytes);
    let next = 0;
    for (let i = 0; i < v.rows;) {
      if (next < v.at.length && v.at[next] === i) {
        let last = next;
        while (last + 1 < v.at.length && v.at[last + 1] === v.at[last]! + 1) last++;
        out.buf.set(src.subarray(next * rowBytes, (last + 1) * rowBytes), out.length);
        out.length += (last + 1 - next) * rowBytes;
        i += last + 1 - next;
        next = last + 1;
      } else {
        out.buf.set(padBytes, out.length);
        out.length += rowBytes;
        i++;
      }
    }
  }

  /** The page's level section (repetition then definition levels; empty for required flat columns). */
  levels(): Buffer {
    const out = new Bytes(64);
    this.#rep?.writeTo(out);
    this.#def?.writeTo(out);
    return out.view();
  }

  #scalar(type: ScalarType, v: Exclude<ScalarValue, null>): void {
    const out = this.values;
    switch (type) {
      case 'STRING': {
        if (typeof v !== 'string') this.#bad(type, v);
        const s = v as string;
        // write the bytes, then their length in front: one pass over the string
        out.ensure(4 + MAX_UTF8_PER_UNIT * s.length);
        const len = out.buf.write(s, out.length + 4);
        out.buf.writeUInt32LE(len, out.length);
        out.length += 4 + len;
        break;
      }
      case 'INT64':
        out.ensure(8);
        out.length = out.buf.writeBigInt64LE(typeof v === 'bigint' ? v : BigInt(v as number), out.length);
        break;
      case 'INT32':
        out.ensure(4);
        out.length = out.buf.writeInt32LE(v as number, out.length);
        break;
      case 'FLOAT':
        out.ensure(4);
        out.length = out.buf.writeFloatLE(v as number, out.length);
        break;
      case 'BOOLEAN':
        // PLAIN booleans are bit-packed, LSB first
        if (typeof v !== 'boolean') this.#bad(type, v);
        if ((this.#bools & 7) === 0) out.u8(0);
        if (v) out.buf[out.length - 1]! |= 1 << (this.#bools & 7);
        this.#bools++;
        break;
    }
  }

  // a method, not a closure per value: this runs for every cell of an export
  #bad(type: ScalarType, v: unknown): never {
    throw new DistilleryError('INTERNAL', `parquet column ${this.column.name}: value ${String(v)} is not ${type}`);
  }
}
