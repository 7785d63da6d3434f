/**
 * A corpus as bytes: a local file or an `s3://bucket/key` object, whole or in the byte ranges a chunk of a
 * distributed job spans (`CorpusSlice`), so a worker reads only its slice (an S3 ranged GET, or a file read
 * from an offset) instead of the corpus up to its chunk.
 */
import { createReadStream, statSync } from 'node:fs';
import { headObject, readObject } from '../../storage/s3-client.ts';
import { isS3Url } from '../../storage/s3-url.ts';
import type { CorpusOptions } from './types.ts';

/** Bytes [start, end) of the corpus, whose first line is line `firstLine`. */
export interface ByteSegment {
  start: number;
  end?: number;
  firstLine: number;
}

/**
 * The segments a reader reads: the whole corpus, or for a slice the head (what a reader needs before any
 * record: a CSV header, the JSONL object that names the columns), then the slice itself.
 */
export function corpusSegments(opts: CorpusOptions): ByteSegment[] {
  const s = opts.slice;
  if (!s) return [{ start: 0, firstLine: 1 }];
  if (s.start <= s.head) return [{ start: 0, end: s.end, firstLine: 1 }];
  return [
    ...(s.head > 0 ? [{ start: 0, end: s.head, firstLine: 1 }] : []),
    { start: s.start, end: s.end, firstLine: s.firstLine },
  ];
}

export function readSegment(file: string, seg: ByteSegment): AsyncIterable<Buffer> {
  if (isS3Url(file)) return readObject(file, { start: seg.start, end: seg.end });
  if (seg.end !== undefined && seg.end <= seg.start) return (async function* () {})();
  return createReadStream(file, {
    start: seg.start,
    ...(seg.end === undefined ? {} : { end: seg.end - 1 }),
    highWaterMark: 1 << 16,
  });
}

/** S3 objects' sizes as last read by `statCorpus` (a synchronous identity check reads them). */
const s3Sizes = new Map<string, number>();

/**
 * Reads a corpus's size ahead of `corpusBytes`: for an S3 object a HEAD request, which also fails early and
 * clearly on a missing bucket or key, or on credentials; for a file nothing (its size is read when asked).
 */
export async function statCorpus(file: string): Promise<void> {
  if (isS3Url(file)) s3Sizes.set(file, (await headObject(file)).bytes);
}

/** The corpus size in bytes (null: no such file), part of a job's identity: a corpus that grew is another job. */
export function corpusBytes(file: string): number | null {
  if (isS3Url(file)) {
    const n = s3Sizes.get(file);
    if (n === undefined)
      throw new Error(`internal: the size of ${file} was not read (statCorpus) before it was needed`);
    return n;
  }
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

/**
 * The byte offset where each of `lines` (1-based, ascending) starts, and the corpus size: one pass
 * counting newlines, which every reader counts the same way (a CSV field's line break included).
 * A line past the end starts at the size.
 */
export async function lineOffsets(
  file: string,
  lines: readonly number[],
): Promise<{ offsets: number[]; bytes: number }> {
  const offsets: number[] = [];
  let next = 0;
  let line = 1;
  let at = 0;
  const reach = (upTo: number, offset: number) => {
    for (; next < lines.length && lines[next]! <= upTo; next++) offsets.push(offset);
  };
  reach(1, 0);
  for await (const buf of readSegment(file, { start: 0, firstLine: 1 })) {
    for (let nl = buf.indexOf(10); nl !== -1 && next < lines.length; nl = buf.indexOf(10, nl + 1))
      reach(++line, at + nl + 1);
    at += buf.length;
  }
  reach(Infinity, at);
  return { offsets, bytes: at };
}
