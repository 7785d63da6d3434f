/**
 * A causal-LM chunk's result as one immutable file, the sequence kind beside the classifier part
 * (part-file.ts): the chunk's rows (id, sequence hash or refusal) and each distinct sequence's token
 * blob and per-token output blobs exactly as the shard's store holds them, named by the sha256 of its
 * bytes. Nothing in it depends on what the shard's cache held, so a chunk done twice with the same
 * cache writes the same name.
 *
 * Layout: `DSEQPART1\n`, one line of header JSON, then per sequence its token blob and component blobs,
 * back to back in header order. Files are `chunk-NNNNNN.<16 hex>.seqpart` (classifier parts end in
 * `.part`, so one directory listing never mistakes one kind for the other).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { DatasetSequenceRow, StoredSequenceBlobs } from '../../store/index.ts';
import { listPartsOfKind, type ListedPart, type PartKind } from './part-listing.ts';
import type { PartsLocation } from './parts-location.ts';

const MAGIC = 'DSEQPART1\n';

export interface SequencePartHeader {
  kind: 'causal-lm';
  job: string;
  dataset: string;
  chunk: number;
  teacher: { name: string; fingerprint: string };
  rows: DatasetSequenceRow[];
  /** per distinct sequence: its address, token row counts and the blob lengths that follow */
  sequences: { hash: string; length: number; scored: number; tokens: number; components: [string, number, number][] }[];
}

export interface SequencePart {
  header: SequencePartHeader;
  sequences: StoredSequenceBlobs[];
}

export interface StoredSequencePart extends ListedPart {
  job: string;
}

export const sequencePartName = (chunk: number, sha256: string): string =>
  `chunk-${String(chunk).padStart(6, '0')}.${sha256.slice(0, 16)}.seqpart`;

export function encodeSequencePart(
  meta: Omit<SequencePartHeader, 'kind' | 'sequences'>,
  sequences: readonly StoredSequenceBlobs[],
): Buffer {
  const header: SequencePartHeader = {
    kind: 'causal-lm',
    ...meta,
    sequences: sequences.map((s) => ({
      hash: s.hash,
      length: s.length,
      scored: s.scored,
      tokens: s.tokens.length,
      components: s.components.map(([c, positions, blob]) => [c, positions, blob.length]),
    })),
  };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
  return Buffer.concat([head, ...sequences.flatMap((s) => [s.tokens, ...s.components.map((c) => c[2])])]);
}

/** Writes the part whole under its content name (a temp file renamed, or one PUT to S3). */
export async function writeSequencePart(
  loc: PartsLocation,
  chunk: number,
  bytes: Buffer,
): Promise<{ name: string; sha256: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = sequencePartName(chunk, sha256);
  await loc.write(name, bytes);
  return { name, sha256 };
}

function headerOf(bytes: Buffer, file: string): SequencePartHeader {
  const nl = bytes.indexOf(10, MAGIC.length);
  if (bytes.toString('utf8', 0, MAGIC.length) !== MAGIC || nl < 0)
    throw new DistilleryError('INVALID_INPUT', `${file} is not a distillery causal-LM part file`, {
      hint: 'remove it from the parts directory',
    });
  return JSON.parse(bytes.toString('utf8', MAGIC.length, nl)) as SequencePartHeader;
}

/** Reads a part and checks its bytes against `sha256`; a corrupt or truncated file is refused. */
export function readSequencePart(file: string, sha256: string): SequencePart {
  const bytes = readFileSync(file);
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256)
    throw new DistilleryError('INVALID_INPUT', `part ${file} is corrupt: sha256 ${got}, expected ${sha256}`, {
      hint: 'remove it and rerun the shard that owns its chunk: the chunk is computed again',
    });
  const header = headerOf(bytes, file);
  let at = bytes.indexOf(10, MAGIC.length) + 1;
  const take = (len: number) => {
    const b = bytes.subarray(at, at + len);
    at += len;
    return b;
  };
  const sequences = header.sequences.map((s) => ({
    hash: s.hash,
    length: s.length,
    scored: s.scored,
    tokens: take(s.tokens),
    components: s.components.map(([c, positions, len]): [string, number, Buffer] => [c, positions, take(len)]),
  }));
  if (at !== bytes.length) throw new DistilleryError('INVALID_INPUT', `part ${file}: blobs do not match its header`);
  return { header, sequences };
}

const SEQUENCE_PART: PartKind<{ job: string }> = {
  name: /^chunk-(\d{6})\.([0-9a-f]{16})\.seqpart$/,
  facts: (bytes, where) => ({ job: headerOf(bytes, where).job }),
};

/** Every causal-LM part in `loc` whose bytes match its name; a mismatch is refused with the part to remove. */
export const listSequenceParts = (loc: PartsLocation): Promise<StoredSequencePart[]> =>
  listPartsOfKind(loc, SEQUENCE_PART);
