/**
 * A streaming Parquet writer for flat columns and lists of primitives: row groups are encoded
 * and appended to the sink as they come, so memory holds one row group. The footer (FileMetaData,
 * thrift) and page headers are serialized by hyparquet-writer's own functions.
 */
import { gzipSync } from 'node:zlib';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { ByteWriter } from 'hyparquet-writer';
import { DistilleryError } from '../../core/errors.ts';
import type { FileSink } from '../byte-sink.ts';
import { Bytes, LevelRuns } from './page-encoding.ts';

// hyparquet-writer bundles its own hyparquet: take the metadata types from the function that writes them
type FileMetaData = Parameters<typeof writeMetadata>[1];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type SchemaElement = FileMetaData['schema'][number];

export type ScalarType = 'STRING' | 'INT64' | 'INT32' | 'FLOAT' | 'BOOLEAN';
export type ElementType = 'FLOAT' | 'FLOAT16' | 'INT64' | 'STRING';

export type ParquetColumn =
  | { name: string; kind: 'scalar'; type: ScalarType; optional: boolean }
  /** an OPTIONAL 3-level LIST (list / element), the layout pyarrow, DuckDB and Spark write */
  | { name: string; kind: 'list'; element: ElementType };

export type ScalarValue = string | number | bigint | boolean | null;
/** FLOAT: Float32Array; FLOAT16: Uint16Array of binary16 bits; INT64: Int32Array or BigInt64Array; STRING: string[] */
export type ListValue = Float32Array | Uint16Array | Int32Array | BigInt64Array | readonly string[] | null;

export type Codec = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';

const physical = (c: ParquetColumn): SchemaElement['type'] => {
  const t = c.kind === 'scalar' ? c.type : c.element;
  return t === 'STRING' ? 'BYTE_ARRAY' : t === 'FLOAT16' ? 'FIXED_LEN_BYTE_ARRAY' : t;
};

function leafElement(c: ParquetColumn, name: string, repetition: 'REQUIRED' | 'OPTIONAL'): SchemaElement {
  const t = c.kind === 'scalar' ? c.type : c.element;
  const el: SchemaElement = { name, type: physical(c), repetition_type: repetition };
  if (t === 'STRING') el.converted_type = 'UTF8';
  if (t === 'FLOAT16') {
    el.type_length = 2;
    el.logical_type = { type: 'FLOAT16' };
  }
  return el;
}

export function parquetSchema(columns: readonly ParquetColumn[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }];
  for (const c of columns) {
    if (c.kind === 'scalar') schema.push(leafElement(c, c.name, c.optional ? 'OPTIONAL' : 'REQUIRED'));
    else {
      schema.push({ name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 });
      schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      schema.push(leafElement(c, 'element', 'REQUIRED'));
    }
  }
  return schema;
}

function writeScalarValues(out: Bytes, type: ScalarType, values: readonly ScalarValue[], name: string): void {
  const bad = (v: unknown): never => {
    throw new DistilleryError('INTERNAL', `parquet column ${name}: value ${String(v)} is not ${type}`);
  };
  if (type === 'BOOLEAN') {
    // PLAIN booleans are bit-packed, LSB first
    const present = values.filter((v) => v !== null);
    const bytes = new Uint8Array(Math.ceil(present.length / 8));
    present.forEach((v, i) => {
      if (typeof v !== 'boolean') bad(v);
      if (v) bytes[i >> 3]! |= 1 << (i & 7);
    });
    out.bytes(bytes);
    return;
  }
  for (const v of values) {
    if (v === null) continue;
    switch (type) {
      case 'STRING': {
        if (typeof v !== 'string') bad(v);
        const len = Buffer.byteLength(v as string);
        out.u32(len);
        out.ensure(len);
        out.length += out.buf.write(v as string, out.length);
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
    }
  }
}

function writeListValues(out: Bytes, element: ElementType, v: Exclude<ListValue, null>): void {
  if (element === 'STRING') {
    writeScalarValues(out, 'STRING', v as readonly string[], 'element');
    return;
  }
  if (element === 'INT64' && v instanceof Int32Array) {
    out.ensure(8 * v.length);
    for (const x of v) out.length = out.buf.writeBigInt64LE(BigInt(x), out.length);
    return;
  }
  const typed = v as Float32Array | Uint16Array | BigInt64Array;
  out.bytes(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
}

export class ParquetFileWriter {
  readonly #sink: FileSink;
  readonly #columns: readonly ParquetColumn[];
  readonly #schema: SchemaElement[];
  readonly #codecFor: (c: ParquetColumn) => Codec;
  readonly #rowGroups: RowGroup[] = [];
  #rows = 0;

  constructor(sink: FileSink, columns: readonly ParquetColumn[], codecFor: (c: ParquetColumn) => Codec) {
    this.#sink = sink;
    this.#columns = columns;
    this.#schema = parquetSchema(columns);
    this.#codecFor = codecFor;
    sink.write(Buffer.from('PAR1'));
  }

  get rows(): number {
    return this.#rows;
  }

  /** One row group: `data[i]` holds column i's values, one per row. */
  writeRowGroup(data: readonly (readonly (ScalarValue | ListValue)[])[]): void {
    const rows = data[0]?.length ?? 0;
    if (rows === 0) return;
    const start = this.#sink.offset;
    const chunks: ColumnChunk[] = [];
    let uncompressedTotal = 0;
    this.#columns.forEach((c, i) => {
      const values = data[i]!;
      if (values.length !== rows) throw new DistilleryError('INTERNAL', `parquet column ${c.name} has ${values.length} rows, expected ${rows}`);
      // sized up front for fixed-width lists (the hidden-state column): no regrow-and-copy
      let payload = 0;
      if (c.kind === 'list' && c.element !== 'STRING') {
        const width = c.element === 'FLOAT16' ? 2 : c.element === 'FLOAT' ? 4 : 8;
        for (const v of values as readonly ListValue[]) if (v !== null) payload += width * v.length;
      }
      const page = new Bytes(payload + (1 << 16));
      let numValues = rows;
      if (c.kind === 'scalar') {
        if (c.optional) {
          const def = new LevelRuns();
          for (const v of values as readonly ScalarValue[]) def.push(v === null ? 0 : 1, 1);
          def.writeTo(page);
        } else if ((values as readonly ScalarValue[]).includes(null)) {
          throw new DistilleryError('INTERNAL', `parquet column ${c.name} is required but has nulls`);
        }
        writeScalarValues(page, c.type, values as readonly ScalarValue[], c.name);
      } else {
        const rep = new LevelRuns();
        const def = new LevelRuns();
        for (const v of values as readonly ListValue[]) {
          const n = v === null ? 0 : v.length;
          rep.push(0, 1);
          if (n === 0) def.push(v === null ? 0 : 1, 1);
          else {
            rep.push(1, n - 1);
            def.push(2, n);
          }
        }
        numValues = rep.total;
        rep.writeTo(page);
        def.writeTo(page);
        for (const v of values as readonly ListValue[]) if (v !== null && v.length > 0) writeListValues(page, c.element, v);
      }
      const raw = page.view();
      const codec = this.#codecFor(c);
      const body = codec === 'GZIP' ? gzipSync(raw, { level: 6 }) : codec === 'SNAPPY' ? snappyCompress(raw) : raw;
      const header = new ByteWriter();
      writePageHeader(header, {
        type: 'DATA_PAGE',
        uncompressed_page_size: raw.length,
        compressed_page_size: body.length,
        data_page_header: { num_values: numValues, encoding: 'PLAIN', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
      });
      const headerBytes = header.getBytes();
      const offset = this.#sink.offset;
      this.#sink.write(headerBytes);
      this.#sink.write(body);
      const leafPath = c.kind === 'scalar' ? [c.name] : [c.name, 'list', 'element'];
      uncompressedTotal += headerBytes.length + raw.length;
      chunks.push({
        file_offset: BigInt(offset),
        meta_data: {
          type: physical(c)!,
          encodings: ['PLAIN', 'RLE'],
          path_in_schema: leafPath,
          codec,
          num_values: BigInt(numValues),
          total_uncompressed_size: BigInt(headerBytes.length + raw.length),
          total_compressed_size: BigInt(headerBytes.length + body.length),
          data_page_offset: BigInt(offset),
        },
      });
    });
    this.#rowGroups.push({
      columns: chunks,
      total_byte_size: BigInt(uncompressedTotal),
      num_rows: BigInt(rows),
      file_offset: BigInt(start),
      total_compressed_size: BigInt(this.#sink.offset - start),
    });
    this.#rows += rows;
  }

  /** Writes the footer; `kv` becomes the file's key-value metadata. */
  finish(kv: Record<string, string>): void {
    const footer = new ByteWriter();
    const metadata: FileMetaData = {
      version: 1,
      schema: this.#schema,
      num_rows: BigInt(this.#rows),
      row_groups: this.#rowGroups,
      key_value_metadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
      created_by: 'distillery',
      metadata_length: 0,
    };
    writeMetadata(footer, metadata);
    const bytes = footer.getBytes();
    this.#sink.write(bytes);
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(bytes.length, 0);
    tail.write('PAR1', 4);
    this.#sink.write(tail);
  }
}
