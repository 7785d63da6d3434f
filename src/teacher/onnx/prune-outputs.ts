/**
 * Graph surgery: a copy of a model that computes only some of its outputs. The other graph outputs go,
 * and so do the nodes and initializers only they needed. onnxruntime runs every node of a graph whatever
 * the fetches, and a tensor that is a graph output cannot be fused away, so a graph exposing every layer's
 * hidden states and attentions runs slower even when a job reads only the logits (docs/BENCHMARKS.md).
 *
 * Works on the protobuf wire format like expose-hidden.ts, every kept field keeping its exact bytes, but
 * without holding the model in memory: the plan reads field headers and the small fields (nodes, names)
 * through a byte source, and the weights are copied from file to file in blocks. A BERT-base fp32 file
 * is 440 MB; a copy of it in memory next to the session's own would break the engine's memory budget.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { fieldInts, fieldString, readFields } from './protobuf-reader.ts';

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_NAME = 8;
const TENSOR_DATA_LOCATION = 14;
const EXTERNAL = 1n;
const BLOCK = 1 << 20;

/** Random access to a model's bytes. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** A file read through one 64 KB window: a plan reads many small neighbouring fields. */
class FileSource implements ByteSource {
  readonly size: number;
  readonly #fd: number;
  readonly #window = Buffer.alloc(64 * 1024);
  #windowStart = 0;
  #windowLength = 0;

  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.size = size;
  }

  read(offset: number, length: number): Uint8Array {
    const inWindow = offset >= this.#windowStart && offset + length <= this.#windowStart + this.#windowLength;
    if (!inWindow) {
      if (length > this.#window.length) {
        const out = Buffer.alloc(length);
        if (readSync(this.#fd, out, 0, length, offset) !== length) throw new Error('the model file ended early');
        return out;
      }
      this.#windowStart = offset;
      this.#windowLength = readSync(this.#fd, this.#window, 0, this.#window.length, offset);
    }
    const at = offset - this.#windowStart;
    return this.#window.subarray(at, at + length);
  }
}

/** One field of a message: where its payload lies in the source. */
interface Span {
  field: number;
  wireType: number;
  /** first byte of the tag */
  start: number;
  /** first byte of the payload (length-delimited fields) */
  dataStart: number;
  end: number;
}

function scan(src: ByteSource, start: number, end: number): Span[] {
  const spans: Span[] = [];
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end) throw new Error('truncated protobuf varint');
      const b = src.read(pos++, 1)[0]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  };
  while (pos < end) {
    const tagStart = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    // non-length-delimited spans end after their value, so start..end is the whole field
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      spans.push({ field, wireType, start: tagStart, dataStart: pos, end: pos + length });
      pos += length;
      if (pos > end) throw new Error('truncated protobuf field');
      continue;
    } else throw new Error(`unsupported protobuf wire type ${wireType}`);
    spans.push({ field, wireType, start: tagStart, dataStart: pos, end: pos });
  }
  return spans;
}

const payload = (src: ByteSource, s: Span): Uint8Array => src.read(s.dataStart, s.end - s.dataStart);

/** The first string field `nameField` of a small message, '' when absent. */
function nameOf(src: ByteSource, s: Span, nameField: number): string {
  const name = scan(src, s.dataStart, s.end).find((x) => x.field === nameField);
  return name ? fieldString({ field: name.field, wireType: 2, data: payload(src, name), raw: new Uint8Array() }) : '';
}

/** Bytes of the new model in order: literal bytes, or a range of the source to copy. */
export type Piece = Uint8Array | { offset: number; length: number };

export type PrunePlan =
  { pieces: Piece[]; size: number; removedOutputs: string[]; removedNodes: number } | { skipped: string };

/**
 * How to write the model with only the graph outputs in `keep` and what they depend on. Skipped (the
 * caller keeps the whole graph) when pruning could change what the model means or where it finds its
 * data: control flow with subgraphs, weights in an external data file, sparse initializers, or nothing
 * to remove.
 */
export function planPrunedModel(src: ByteSource, keep: readonly string[]): PrunePlan {
  const modelFields = scan(src, 0, src.size);
  const graph = modelFields.find((f) => f.field === MODEL_GRAPH);
  if (!graph) throw new Error('not an ONNX model: no graph');
  const graphFields = scan(src, graph.dataStart, graph.end);
  const outputNames = graphFields.filter((f) => f.field === GRAPH_OUTPUT).map((f) => nameOf(src, f, 1));
  const missing = keep.filter((k) => !outputNames.includes(k));
  if (missing.length) throw new Error(`the graph has no output ${missing.join(', ')}`);
  const removedOutputs = outputNames.filter((n) => !keep.includes(n));
  if (removedOutputs.length === 0) return { skipped: 'every output is wanted' };

  const nodeSpans = graphFields.filter((f) => f.field === GRAPH_NODE);
  const nodes = nodeSpans.map((s) => {
    const fields = readFields(payload(src, s));
    return {
      inputs: fields.filter((f) => f.field === NODE_INPUT).map(fieldString),
      outputs: fields.filter((f) => f.field === NODE_OUTPUT).map(fieldString),
      subgraph: fields.some(
        (a) =>
          a.field === NODE_ATTRIBUTE &&
          readFields(a.data!).some((x) => x.field === ATTRIBUTE_GRAPH || x.field === ATTRIBUTE_GRAPHS),
      ),
    };
  });
  if (nodes.some((n) => n.subgraph)) return { skipped: 'the graph has control flow with subgraphs' };
  if (graphFields.some((f) => f.field === GRAPH_SPARSE_INITIALIZER))
    return { skipped: 'the graph has sparse initializers' };

  // ONNX nodes come in topological order, so one backward pass finds everything the kept outputs need.
  const needed = new Set(keep);
  const keepNode = nodes.map(() => false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!nodes[i]!.outputs.some((o) => needed.has(o))) continue;
    keepNode[i] = true;
    for (const input of nodes[i]!.inputs) if (input) needed.add(input);
  }

  let nodeIndex = 0;
  const kept: Span[] = [];
  for (const f of graphFields) {
    if (f.field === GRAPH_NODE) {
      if (keepNode[nodeIndex++]) kept.push(f);
    } else if (f.field === GRAPH_OUTPUT) {
      if (keep.includes(nameOf(src, f, 1))) kept.push(f);
    } else if (f.field === GRAPH_VALUE_INFO) {
      if (needed.has(nameOf(src, f, 1))) kept.push(f);
    } else if (f.field === GRAPH_INITIALIZER) {
      const tensor = scan(src, f.dataStart, f.end);
      const location = tensor.find((x) => x.field === TENSOR_DATA_LOCATION);
      if (location && dataLocation(src, location) === EXTERNAL)
        return { skipped: 'the weights are in an external data file' };
      if (needed.has(nameOf(src, f, TENSOR_NAME))) kept.push(f);
    } else {
      kept.push(f);
    }
  }

  const range = (s: Span): Piece => ({ offset: s.start, length: s.end - s.start });
  const graphLength = kept.reduce((n, f) => n + (f.end - f.start), 0);
  const pieces = modelFields.flatMap((f) =>
    f === graph ? [lengthDelimitedHeader(f.field, graphLength), ...kept.map(range)] : [range(f)],
  );
  const size = pieces.reduce((n, p) => n + p.length, 0);
  return { pieces, size, removedOutputs, removedNodes: keepNode.filter((k) => !k).length };
}

function dataLocation(src: ByteSource, s: Span): bigint {
  // a varint field spans its tag and its value
  const [f] = readFields(src.read(s.start, s.end - s.start));
  return f ? fieldInts(f)[0]! : 0n;
}

/** The pruned model in memory (tests, small models). */
export function pruneGraphOutputs(
  model: Uint8Array,
  keep: readonly string[],
): { bytes: Uint8Array; removedOutputs: string[]; removedNodes: number } | { skipped: string } {
  const plan = planPrunedModel(bufferSource(model), keep);
  if ('skipped' in plan) return plan;
  const bytes = new Uint8Array(plan.size);
  let at = 0;
  for (const p of plan.pieces) {
    const chunk = 'offset' in p ? model.subarray(p.offset, p.offset + p.length) : p;
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, removedOutputs: plan.removedOutputs, removedNodes: plan.removedNodes };
}

/**
 * Writes the model at `modelPath`, pruned to `keep`, to `outPath`: the plan reads only headers and small
 * fields (synchronously, tens of milliseconds for BERT-base), the weights stream across in 1 MB blocks.
 */
export async function writePrunedModel(
  modelPath: string,
  keep: readonly string[],
  outPath: string,
): Promise<PrunePlan> {
  const fd = openSync(modelPath, 'r');
  let plan: PrunePlan;
  try {
    plan = planPrunedModel(new FileSource(fd, fstatSync(fd).size), keep);
  } finally {
    closeSync(fd);
  }
  if ('skipped' in plan) return plan;
  const input = await open(modelPath, 'r');
  try {
    const output = await open(outPath, 'w');
    try {
      await copyPieces(plan.pieces, input, output, modelPath);
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
  return plan;
}

async function copyPieces(pieces: Piece[], input: FileHandle, output: FileHandle, modelPath: string): Promise<void> {
  const block = Buffer.alloc(BLOCK);
  for (const p of pieces) {
    if (!('offset' in p)) {
      await writeAll(output, p);
      continue;
    }
    for (let done = 0; done < p.length;) {
      const n = Math.min(BLOCK, p.length - done);
      const { bytesRead } = await input.read(block, 0, n, p.offset + done);
      if (bytesRead !== n) throw new Error(`${modelPath} ended early`);
      await writeAll(output, block.subarray(0, n));
      done += n;
    }
  }
}

async function writeAll(output: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += (await output.write(bytes, at, bytes.length - at)).bytesWritten;
}

/** The tag and length of a length-delimited field, without its payload. */
function lengthDelimitedHeader(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint(field * 8 + 2), ...varint(length)]);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
