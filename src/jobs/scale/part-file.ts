/**
 * A chunk's result as one immutable file: its rows and the teacher outputs they need, named by the
 * sha256 of its bytes. Nothing in it depends on which worker made it or what its cache held (no counts of
 * computed vs cached, no device), so a chunk done twice writes the same bytes under the same name and
 * the second rename changes nothing.
 *
 * Layout: `DPART1\n`, one line of header JSON, then the blobs the header indexes, back to back.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { Encoding, Example } from '../../core/types.ts';
import type { OpChainCount, RunCounts } from '../runner/ports.ts';

const MAGIC = 'DPART1\n';

export interface PartOutput {
  inputHash: string;
  tokens: number;
  truncated: boolean;
  /** [component name, byte length] in blob order */
  components: [string, number][];
}

export interface PartTeacher {
  name: string;
  fingerprint: string;
  encoding: Encoding;
  outputs: PartOutput[];
}

export interface PartHeader {
  job: string;
  dataset: string;
  chunk: number;
  records: number;
  examples: Example[];
  counts: RunCounts;
  opCounts: OpChainCount[];
  teachers: PartTeacher[];
}

export interface Part {
  header: PartHeader;
  /** blobs per teacher, per output, per component, in header order */
  blobs: Buffer[][][];
}

export interface WrittenPart {
  /** the part's name inside its directory or prefix */
  name: string;
  file: string;
  sha256: string;
  bytes: number;
}

export const partName = (chunk: number, sha256: string): string =>
  `chunk-${String(chunk).padStart(6, '0')}.${sha256.slice(0, 16)}.part`;

export function encodePart(part: Part): Buffer {
  const head = Buffer.from(`${MAGIC}${JSON.stringify(part.header)}\n`, 'utf8');
  return Buffer.concat([head, ...part.blobs.flat(2)]);
}

/** The part's bytes and the name that carries their hash. */
export function encodeNamedPart(part: Part): { name: string; sha256: string; bytes: Buffer } {
  const bytes = encodePart(part);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { name: partName(part.header.chunk, sha256), sha256, bytes };
}

/** Writes atomically: a temp file renamed to its final name. */
export function writeFileAtomic(dir: string, name: string, bytes: Buffer): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return file;
}

/** Write atomically (temp file + rename) into `dir`; the name carries the content hash. */
export function writePart(dir: string, part: Part): WrittenPart {
  const { name, sha256, bytes } = encodeNamedPart(part);
  return { name, file: writeFileAtomic(dir, name, bytes), sha256, bytes: bytes.length };
}

/** `bytes` must hash to `sha256`; else the part at `where` (a path or URL) is refused. */
export function checkPartBytes(bytes: Buffer, sha256: string, where: string): void {
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256)
    throw new DistilleryError('INVALID_INPUT', `part ${where} is corrupt: sha256 ${got}, expected ${sha256}`, {
      hint: 'remove it and rerun: the chunk is computed again',
    });
}

/** Read and verify a part: the bytes must hash to `sha256` (the worker's result), else it is refused. */
export function readPart(file: string, sha256: string): Part {
  const bytes = readFileSync(file);
  checkPartBytes(bytes, sha256, file);
  const header = partHeader(bytes, file);
  let at = bytes.indexOf(10, MAGIC.length) + 1;
  const blobs = header.teachers.map((t) =>
    t.outputs.map((o) =>
      o.components.map(([, len]) => {
        const b = bytes.subarray(at, at + len);
        at += len;
        return b;
      }),
    ),
  );
  if (at !== bytes.length) throw new DistilleryError('INVALID_INPUT', `part ${file}: blobs do not match its header`);
  return { header, blobs };
}

/** The header of a part's bytes; the caller checks the bytes against their hash first. */
export function partHeader(bytes: Buffer, file: string): PartHeader {
  const nl = bytes.indexOf(10, MAGIC.length);
  if (bytes.toString('utf8', 0, MAGIC.length) !== MAGIC || nl < 0)
    throw new DistilleryError('INVALID_INPUT', `${file} is not a distillery part file`);
  return JSON.parse(bytes.toString('utf8', MAGIC.length, nl)) as PartHeader;
}
