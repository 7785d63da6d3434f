/**
 * A streaming Parquet writer for flat columns, lists of primitives and lists of lists of numbers: row groups are encoded
 * and appended to the sink as they come, so memory holds one row group. The footer (FileMetaData,
 * thrift) and page headers are serialized by hyparquet-writer's own functions.
 *
 * Those three functions are not in the package's main entry, only under the `./src/*.js` subpaths its
 * exports map publishes (with types). Writing thrift and snappy by hand would be the alternative; this
 * file is the only one that imports them, and the export tests compare bytes, so an upgrade that moves
 * them fails there first.
 */
import { gzipSync } from 'node:zlib';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { ByteWriter } from 'hyparquet-writer';
import { DistilleryError } from '../../core/errors.ts';
import type { FileSink } from '../byte-sink.ts';
import { ColumnBuilder } from './column-builder.ts';
import type { Codec, ListValue, NestedValue, ParquetColumn, ReservedValues, ScalarValue } from './parquet-types.ts';

// hyparquet-writer bundles its own hyparquet: take the metadata types from the function that writes them
type FileMetaData = Parameters<typeof writeMetadata>[1];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type SchemaElement = FileMetaData['schema'][number];

export type {
  Codec,
  ElementType,
  ListValue,
  NestedElementType,
  NestedValue,
  ParquetColumn,
  ReservedValues,
  ScalarType,
  ScalarValue,
} from './parquet-types.ts';

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
    else if (c.kind === 'nested') {
      schema.push({ name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 });
      schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      schema.push({ name: 'element', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 });
      schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      schema.push(leafElement(c, 'element', 'REQUIRED'));
    } else {
      schema.push({ name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 });
      schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      schema.push(leafElement(c, 'element', 'REQUIRED'));
    }
  }
  return schema;
}

export class ParquetFileWriter {
  readonly #sink: FileSink;
  readonly #columns: readonly ParquetColumn[];
  readonly #schema: SchemaElement[];
  readonly #codecFor: (c: ParquetColumn) => Codec;
  readonly #rowGroups: RowGroup[] = [];
  readonly #builders: ColumnBuilder[];
  #rows = 0;

  /**
   * `pageBytes` tells how many value bytes a column's page will hold, when known: its buffer starts
   * at that size instead of growing (and copying) up to it.
   */
  constructor(
    sink: FileSink,
    columns: readonly ParquetColumn[],
    codecFor: (c: ParquetColumn) => Codec,
    pageBytes?: (c: ParquetColumn) => number | undefined,
  ) {
    this.#sink = sink;
    this.#columns = columns;
    this.#schema = parquetSchema(columns);
    this.#codecFor = codecFor;
    this.#builders = columns.map((c) => new ColumnBuilder(c, pageBytes?.(c)));
    sink.write(Buffer.from('PAR1'));
  }

  get rows(): number {
    return this.#rows;
  }

  /**
   * Adds one row (`values[i]` for column i) to the row group being built. Returns, at the index of
   * each `reserve` cell, the view of its values, which the caller fills before the next append.
   */
  appendRow(values: readonly (ScalarValue | ListValue | NestedValue)[]): (ReservedValues | undefined)[] {
    if (values.length !== this.#builders.length)
      throw new DistilleryError(
        'INTERNAL',
        `parquet row has ${values.length} values, expected ${this.#builders.length}`,
      );
    const reserved: (ReservedValues | undefined)[] = [];
    for (let i = 0; i < values.length; i++) reserved.push(this.#builders[i]!.add(values[i]!));
    return reserved;
  }

  /** Rows appended since the last row group. */
  get pendingRows(): number {
    return this.#builders[0]?.rows ?? 0;
  }

  /** One row group from column arrays: `data[i]` holds column i's values, one per row. */
  writeRowGroup(data: readonly (readonly (ScalarValue | ListValue | NestedValue)[])[]): void {
    const rows = data[0]?.length ?? 0;
    data.forEach((values, i) => {
      if (values.length !== rows)
        throw new DistilleryError(
          'INTERNAL',
          `parquet column ${this.#columns[i]?.name} has ${values.length} rows, expected ${rows}`,
        );
    });
    for (let r = 0; r < rows; r++) this.appendRow(data.map((values) => values[r]!));
    this.flushRowGroup();
  }

  /** Writes the appended rows as one row group (one PLAIN data page per column). */
  flushRowGroup(): void {
    const rows = this.pendingRows;
    if (rows === 0) return;
    const start = this.#sink.offset;
    const chunks: ColumnChunk[] = [];
    let uncompressedTotal = 0;
    for (const b of this.#builders) {
      const c = b.column;
      const levels = b.levels();
      const values = b.values.view();
      const rawLength = levels.length + values.length;
      const codec = this.#codecFor(c);
      // an uncompressed page goes out as its two parts; a compressed one needs them contiguous
      const body = codec === 'UNCOMPRESSED' ? undefined : Buffer.concat([levels, values], rawLength);
      const compressed =
        body === undefined ? undefined : codec === 'GZIP' ? gzipSync(body, { level: 6 }) : snappyCompress(body);
      const header = new ByteWriter();
      writePageHeader(header, {
        type: 'DATA_PAGE',
        uncompressed_page_size: rawLength,
        compressed_page_size: compressed?.length ?? rawLength,
        data_page_header: {
          num_values: b.numValues,
          encoding: 'PLAIN',
          definition_level_encoding: 'RLE',
          repetition_level_encoding: 'RLE',
        },
      });
      const headerBytes = header.getBytes();
      const offset = this.#sink.offset;
      this.#sink.write(headerBytes);
      if (compressed) this.#sink.write(compressed);
      else {
        this.#sink.write(levels);
        // a large page (the hidden states) moves to the writer thread uncopied
        this.#sink.writeOwned(b.values.detach());
      }
      const leafPath =
        c.kind === 'scalar'
          ? [c.name]
          : c.kind === 'list'
            ? [c.name, 'list', 'element']
            : [c.name, 'list', 'element', 'list', 'element'];
      uncompressedTotal += headerBytes.length + rawLength;
      chunks.push({
        file_offset: BigInt(offset),
        meta_data: {
          type: physical(c)!,
          encodings: ['PLAIN', 'RLE'],
          path_in_schema: leafPath,
          codec,
          num_values: BigInt(b.numValues),
          total_uncompressed_size: BigInt(headerBytes.length + rawLength),
          total_compressed_size: BigInt(headerBytes.length + (compressed?.length ?? rawLength)),
          data_page_offset: BigInt(offset),
        },
      });
      b.reset();
    }
    this.#rowGroups.push({
      columns: chunks,
      total_byte_size: BigInt(uncompressedTotal),
      num_rows: BigInt(rows),
      file_offset: BigInt(start),
      total_compressed_size: BigInt(this.#sink.offset - start),
    });
    this.#rows += rows;
  }

  /** Writes any appended rows and the footer; `kv` becomes the file's key-value metadata. */
  finish(kv: Record<string, string>): void {
    this.flushRowGroup();
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
