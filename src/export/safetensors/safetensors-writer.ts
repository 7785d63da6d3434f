/**
 * A safetensors file written in a stream: each tensor's rows are appended to its own temp file as
 * they arrive (memory stays flat), then the file is assembled as
 *   u64 LE header length | JSON header (space-padded to a multiple of 8) | tensor data
 * with tensors in name order, each entry { dtype, shape, data_offsets: [begin, end] } relative to
 * the start of the data, no gaps, and `__metadata__` a string -> string map.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { FileSink } from '../byte-sink.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'I64' | 'I32';
const ITEM_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, I64: 8, I32: 4 };

interface TensorStream {
  dtype: SafetensorsDtype;
  /** shape after the first (row) dimension */
  inner: number[];
  rows: number;
  bytes: number;
  fd: number;
  path: string;
}

export class SafetensorsWriter {
  readonly #tmpDir: string;
  readonly #tensors = new Map<string, TensorStream>();

  /** `tmpDir` holds one scratch file per tensor until finish(). */
  constructor(tmpDir: string) {
    this.#tmpDir = tmpDir;
  }

  /** Declares a tensor [rows, ...inner] whose rows are appended later. */
  declare(name: string, dtype: SafetensorsDtype, inner: number[]): void {
    if (this.#tensors.has(name)) throw new DistilleryError('INTERNAL', `tensor ${name} declared twice`);
    const path = join(this.#tmpDir, `t${this.#tensors.size}.bin`);
    this.#tensors.set(name, { dtype, inner, rows: 0, bytes: 0, fd: openSync(path, 'w'), path });
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /** Appends `rows` rows (the typed array's bytes, row-major, in the declared dtype). */
  append(name: string, data: Float32Array | Uint16Array | BigInt64Array | Int32Array, rows: number): void {
    const t = this.#tensors.get(name);
    if (!t) throw new DistilleryError('INTERNAL', `tensor ${name} was not declared`);
    const rowItems = t.inner.reduce((a, b) => a * b, 1);
    if (data.length !== rows * rowItems || data.BYTES_PER_ELEMENT !== ITEM_BYTES[t.dtype]) {
      throw new DistilleryError(
        'INTERNAL',
        `tensor ${name}: ${data.length} values do not make ${rows} rows of [${t.inner.join(', ')}] ${t.dtype}`,
      );
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) done += writeSync(t.fd, bytes, done, bytes.length - done);
    t.rows += rows;
    t.bytes += bytes.length;
  }

  /** Assembles the file into `sink` and removes the scratch files. */
  finish(sink: FileSink, metadata: Record<string, string>): void {
    const names = [...this.#tensors.keys()].sort();
    const header: Record<string, unknown> = { __metadata__: metadata };
    let offset = 0;
    for (const name of names) {
      const t = this.#tensors.get(name)!;
      header[name] = { dtype: t.dtype, shape: [t.rows, ...t.inner], data_offsets: [offset, offset + t.bytes] };
      offset += t.bytes;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    sink.write(len);
    sink.write(Buffer.from(json));
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (const name of names) {
      const t = this.#tensors.get(name)!;
      closeSync(t.fd);
      const fd = openSync(t.path, 'r');
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;) sink.write(chunk.subarray(0, n));
      closeSync(fd);
      rmSync(t.path);
    }
    this.#tensors.clear();
  }

  /** Drops scratch files after a failure. */
  abort(): void {
    for (const t of this.#tensors.values()) {
      try {
        closeSync(t.fd);
      } catch {
        // already closed by finish()
      }
      rmSync(t.path, { force: true });
    }
    this.#tensors.clear();
  }
}
