/** The column shapes and value types the Parquet writer accepts. */
export type ScalarType = 'STRING' | 'INT64' | 'INT32' | 'FLOAT' | 'BOOLEAN';
export type ElementType = 'FLOAT' | 'FLOAT16' | 'INT64' | 'INT32' | 'STRING';
export type NestedElementType = 'INT32' | 'FLOAT';

export type ParquetColumn =
  | { name: string; kind: 'scalar'; type: ScalarType; optional: boolean }
  /** an OPTIONAL 3-level LIST (list / element), the layout pyarrow, DuckDB and Spark write */
  | { name: string; kind: 'list'; element: ElementType }
  /**
   * list<list<element>>: an OPTIONAL LIST of REQUIRED LISTs of REQUIRED elements (DistillKit's
   * token_ids / top_values shape); repetition levels up to 2, definition levels up to 3
   */
  | { name: string; kind: 'nested'; element: NestedElementType };

export type ScalarValue = string | number | bigint | boolean | null;
/** FLOAT: Float32Array; FLOAT16: Uint16Array of binary16 bits; INT64: Int32Array or BigInt64Array; STRING: string[] */
export type ListValue = Float32Array | Uint16Array | Int32Array | BigInt64Array | readonly string[] | null;

/**
 * A list<list<...>> cell: inner list i holds values[offsets[i]..offsets[i+1]) (`offsets` has one
 * entry more than there are inner lists), or, for inner lists of one width, values[i*width..(i+1)*width)
 * for i < rows, or those rows scattered among padding rows. INT32: Int32Array; FLOAT: Float32Array.
 */
export type NestedValue =
  | { offsets: Int32Array; values: Int32Array | Float32Array }
  | { rows: number; width: number; values: Int32Array | Float32Array }
  /** `rows` inner lists of `width`: list at[i] holds values row i (at ascending), every other list is `pad` */
  | { rows: number; width: number; values: Int32Array | Float32Array; at: Int32Array; pad: number }
  /**
   * `rows` inner lists of `width` whose values the caller writes itself: appendRow returns a view of
   * the reserved bytes (contents unspecified), to be filled before the next append
   */
  | { rows: number; width: number; reserve: true }
  | null;

/** What appendRow returns for a `reserve` cell: a view of its values in the page being built. */
export type ReservedValues = Int32Array | Float32Array;

export type Codec = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
