/** The column shapes and value types the Parquet writer accepts. */
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
