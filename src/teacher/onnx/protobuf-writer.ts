/**
 * Minimal protobuf wire-format encoder: just what ONNX's ModelProto needs.
 * Field order is the call order, so the same calls always give the same bytes.
 */
const textEncoder = new TextEncoder();

export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #scratch: number[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  #varint(value: bigint): void {
    // Negative int64 values are encoded as their 64-bit two's complement, as protobuf does.
    let v = BigInt.asUintN(64, value);
    const out = this.#scratch;
    out.length = 0;
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.#push(Uint8Array.from(out));
  }

  #tag(field: number, wireType: number): void {
    this.#varint(BigInt((field << 3) | wireType));
  }

  int(field: number, value: number | bigint): this {
    this.#tag(field, 0);
    this.#varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(BigInt(value.length));
    this.#push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated varints (int64 / int32 lists). */
  packedInts(field: number, values: ReadonlyArray<number | bigint>): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(BigInt(v));
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: ReadonlyArray<number>): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  /** A length-delimited field whose payload is another writer's output, sharing its chunks instead of copying them. */
  embed(field: number, inner: ProtoWriter): this {
    this.#tag(field, 2);
    this.#varint(BigInt(inner.#length));
    for (const c of inner.#chunks) this.#push(c);
    return this;
  }

  /** The encoded bytes chunk by chunk, so a big message can go to a file without one contiguous copy. */
  forEachChunk(fn: (chunk: Uint8Array) => void): void {
    for (const c of this.#chunks) fn(c);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const c of this.#chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

/**
 * Same bytes as ProtoWriter, but nested messages are embedded, not copied: peak memory stays near
 * the size of the payloads (what a several-hundred-MB model needs).
 */
export class StreamingProtoWriter extends ProtoWriter {
  override message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new StreamingProtoWriter();
    build(inner);
    return this.embed(field, inner);
  }
}
