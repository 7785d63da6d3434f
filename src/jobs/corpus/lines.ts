/**
 * Stream a UTF-8 file as lines with their 1-based numbers: CRLF and LF endings, a leading BOM dropped.
 * Never holds more than one read buffer plus the current line.
 */
import { createReadStream } from 'node:fs';

export async function* readLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  let pending = '';
  let line = 0;
  let first = true;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
    let buf = pending + (chunk as string);
    if (first) {
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
  if (pending.length > 0) {
    yield { line: ++line, text: pending.endsWith('\r') ? pending.slice(0, -1) : pending };
  }
}
