/**
 * Stream CSV (RFC 4180: quoted fields may hold the delimiter, quotes doubled, and line breaks) or TSV
 * (no quoting, as GLUE writes it) as rows of fields, each with the line it starts on. A chunk's slice is
 * read as its head (the header row) then the slice, each starting on a row.
 */
import { StringDecoder } from 'node:string_decoder';
import { corpusSegments, readSegment } from './corpus-bytes.ts';
import type { CorpusOptions } from './types.ts';

export interface DelimitedRow {
  line: number;
  fields: string[];
  /** a quote that opens mid-field or never closes */
  error?: string;
}

export async function* readDelimited(
  source: Pick<CorpusOptions, 'path' | 'slice'>,
  delimiter: ',' | '\t',
  quoted: boolean,
): AsyncGenerator<DelimitedRow> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  /** the previous char closed a quoted section: next must be a delimiter, a line end or another quote */
  let afterQuote = false;
  let fieldStarted = false;
  let line = 1;
  let rowLine = 1;
  let error: string | undefined;
  let first = true;
  let pendingCr = false;

  const endField = () => {
    fields.push(field);
    field = '';
    afterQuote = false;
    fieldStarted = false;
  };

  for await (const { text: chunk, start } of segmentText(source)) {
    let s = chunk;
    if (start !== undefined) {
      line = start.firstLine;
      rowLine = line;
      first = start.atZero;
    }
    if (first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    const rows: DelimitedRow[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (inQuotes) {
        if (c === '"') {
          inQuotes = false;
          afterQuote = true;
        } else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (pendingCr) {
        pendingCr = false;
        // a lone CR inside an unquoted field is kept as text
        if (c !== '\n') field += '\r';
      }
      if (c === '"' && quoted) {
        if (afterQuote) {
          // "" inside a quoted field: a literal quote
          field += '"';
          inQuotes = true;
          afterQuote = false;
        } else if (!fieldStarted) {
          inQuotes = true;
          fieldStarted = true;
        } else {
          error ??= `unexpected quote inside an unquoted field ${fields.length + 1}`;
          field += c;
        }
      } else if (c === delimiter) {
        endField();
      } else if (c === '\n') {
        endField();
        rows.push(error ? { line: rowLine, fields, error } : { line: rowLine, fields });
        fields = [];
        error = undefined;
        line++;
        rowLine = line;
      } else if (c === '\r') {
        pendingCr = true;
      } else {
        if (afterQuote) error ??= `text after the closing quote of field ${fields.length + 1}`;
        field += c;
        fieldStarted = true;
      }
    }
    yield* rows;
  }
  if (inQuotes) error ??= `a quoted field opened on line ${rowLine} never closes`;
  if (fieldStarted || fields.length > 0 || inQuotes || field.length > 0) {
    endField();
    yield error ? { line: rowLine, fields, error } : { line: rowLine, fields };
  }
}

/** The segments' text in decoded pieces; a segment's first piece says where it starts. */
async function* segmentText(
  source: Pick<CorpusOptions, 'path' | 'slice'>,
): AsyncGenerator<{ text: string; start?: { firstLine: number; atZero: boolean } }> {
  for (const seg of corpusSegments(source)) {
    const decoder = new StringDecoder('utf8');
    yield { text: '', start: { firstLine: seg.firstLine, atZero: seg.start === 0 } };
    for await (const bytes of readSegment(source.path, seg)) yield { text: decoder.write(bytes) };
    const rest = decoder.end();
    if (rest) yield { text: rest };
  }
}
