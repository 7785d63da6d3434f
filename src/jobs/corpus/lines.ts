/**
 * Stream a UTF-8 corpus (a file or an S3 object, whole or a chunk's slice) as lines with their 1-based
 * numbers: CRLF and LF endings, a leading BOM dropped. Never holds more than one read buffer plus the
 * current line.
 */
import { StringDecoder } from 'node:string_decoder';
import { corpusSegments, readSegment } from './corpus-bytes.ts';
import type { CorpusOptions } from './types.ts';

export async function* readLines(
  source: Pick<CorpusOptions, 'path' | 'slice'>,
): AsyncGenerator<{ line: number; text: string }> {
  for (const seg of corpusSegments(source)) {
    // a segment starts on a line: its lines are numbered from there, and only the file's start has a BOM
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let line = seg.firstLine - 1;
    let first = seg.start === 0;
    for await (const bytes of readSegment(source.path, seg)) {
      let buf = pending + decoder.write(bytes);
      if (first && buf.length > 0) {
        if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
        first = false;
      }
      let start = 0;
      for (let nl = buf.indexOf('\n', start); nl !== -1; nl = buf.indexOf('\n', start)) {
        const end = nl > start && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield { line: ++line, text: buf.slice(start, end) };
        start = nl + 1;
      }
      pending = buf.slice(start);
    }
    pending += decoder.end();
    if (pending.length > 0) {
      yield { line: ++line, text: pending.endsWith('\r') ? pending.slice(0, -1) : pending };
    }
  }
}
