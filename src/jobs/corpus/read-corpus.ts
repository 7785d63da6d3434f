/**
 * One entry point for every corpus format: a stream of records (text or pair, optional gold label, stable id).
 * A malformed line stops the read with its line number, or with `skipInvalid` is skipped and counted in `stats`.
 */
import { statSync } from 'node:fs';
import { isS3Url } from '../../storage/s3-url.ts';
import { statCorpus } from './corpus-bytes.ts';
import { DistilleryError } from '../../core/errors.ts';
import { readDelimited } from './delimited-records.ts';
import { guessFormat } from './format.ts';
import { readLines } from './lines.ts';
import { newCorpusStats, type CorpusOptions, type CorpusRecord, type CorpusStats } from './types.ts';

const MAX_PROBLEMS_KEPT = 20;

/** A malformed record; carries the line so the caller can report `file:line`. */
class RecordProblem extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

interface Columns {
  text: string;
  pair: string | undefined;
  label: string | undefined;
  id: string | undefined;
}

/** Pick column names: explicit options win, then the conventional names (text, label, id...) when the source has them. */
function resolveColumns(opts: CorpusOptions, has: (name: string) => boolean, where: string): Columns {
  const text = opts.textColumn ?? ['text', 'sentence', 'text_a'].find(has);
  if (!text || !has(text)) {
    throw new DistilleryError(
      'INVALID_INPUT',
      `${where}: no text column ${text ? `"${text}"` : '(looked for text, sentence, text_a)'}`,
      {
        hint: 'name it with --text-column',
      },
    );
  }
  const pair = opts.pairColumn ?? (text === 'text_a' && has('text_b') ? 'text_b' : undefined);
  const label = opts.labelColumn ?? (has('label') ? 'label' : undefined);
  const explicitId = opts.idColumn === false ? undefined : opts.idColumn;
  for (const [flag, name] of [
    ['--pair-column', opts.pairColumn],
    ['--label-column', opts.labelColumn],
    ['--id-column', explicitId],
  ] as const) {
    if (name !== undefined && !has(name)) {
      throw new DistilleryError('INVALID_INPUT', `${where}: no column "${name}"`, { hint: `check ${flag}` });
    }
  }
  // records that carry an `id` are known by it (a dataset keeps them), unless told to use line numbers
  const id = opts.idColumn === false ? undefined : (opts.idColumn ?? (has('id') ? 'id' : undefined));
  return { text, pair, label, id };
}

function toLabel(value: unknown, line: number): string | number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    // CSV/TSV labels arrive as strings; integers become numbers so "1" and 1 label the same class
    return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  }
  throw new RecordProblem(line, `label must be a string or a number, got ${JSON.stringify(value)}`);
}

function toText(value: unknown, column: string, line: number): string {
  if (typeof value !== 'string')
    throw new RecordProblem(
      line,
      `"${column}" must be a string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
    );
  return value;
}

function makeRecord(get: (name: string) => unknown, cols: Columns, line: number): CorpusRecord {
  const text = toText(get(cols.text), cols.text, line);
  const input = cols.pair === undefined ? { text } : { text, textPair: toText(get(cols.pair), cols.pair, line) };
  const rawId = cols.id === undefined ? undefined : get(cols.id);
  if (cols.id !== undefined && (rawId === undefined || rawId === null || rawId === '')) {
    throw new RecordProblem(line, `"${cols.id}" (the id column) is empty`);
  }
  const label = cols.label === undefined ? null : toLabel(get(cols.label), line);
  if (cols.id === undefined) return { line, id: String(line), input, label };
  return { line, id: String(rawId), idColumn: cols.id, input, label };
}

async function* jsonlRecords(opts: CorpusOptions): AsyncGenerator<CorpusRecord | RecordProblem> {
  let cols: Columns | undefined;
  for await (const { line, text } of readLines(opts)) {
    if (text.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      yield new RecordProblem(line, `not valid JSON (${(e as Error).message})`);
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      yield new RecordProblem(line, 'expected a JSON object');
      continue;
    }
    const o = obj as Record<string, unknown>;
    // columns come from the first object; later objects missing them are malformed lines
    cols ??= resolveColumns(opts, (k) => k in o, `${opts.path}:${line}`);
    try {
      yield makeRecord((k) => o[k], cols, line);
    } catch (e) {
      if (e instanceof RecordProblem) yield e;
      else throw e;
    }
  }
}

async function* delimitedRecords(
  opts: CorpusOptions,
  delimiter: ',' | '\t',
): AsyncGenerator<CorpusRecord | RecordProblem> {
  let header: Map<string, number> | undefined;
  let cols: Columns | undefined;
  let width = 0;
  for await (const row of readDelimited(opts, delimiter, delimiter === ',')) {
    if (row.fields.length === 1 && row.fields[0] === '' && !row.error) continue;
    if (!header) {
      if (row.error) throw new DistilleryError('INVALID_INPUT', `${opts.path}:${row.line}: bad header (${row.error})`);
      header = new Map(row.fields.map((name, i) => [name.trim(), i]));
      width = row.fields.length;
      const h = header;
      cols = resolveColumns(opts, (k) => h.has(k), `${opts.path} header`);
      continue;
    }
    if (row.error) {
      yield new RecordProblem(row.line, row.error);
      continue;
    }
    if (row.fields.length !== width) {
      yield new RecordProblem(row.line, `expected ${width} fields, found ${row.fields.length}`);
      continue;
    }
    const fields = row.fields;
    const h = header;
    try {
      // TSV as GLUE writes it ends each sentence with a space before the tab: trim text cells
      yield makeRecord(
        (k) => {
          const v = fields[h.get(k)!];
          return v === undefined ? undefined : v.trim();
        },
        cols!,
        row.line,
      );
    } catch (e) {
      if (e instanceof RecordProblem) yield e;
      else throw e;
    }
  }
  if (!header) throw new DistilleryError('INVALID_INPUT', `${opts.path} is empty: expected a header line`);
}

async function* textRecords(opts: CorpusOptions): AsyncGenerator<CorpusRecord | RecordProblem> {
  for await (const { line, text } of readLines(opts)) {
    if (text.trim() === '') continue;
    yield { line, id: String(line), input: { text }, label: null };
  }
}

function source(opts: CorpusOptions): AsyncGenerator<CorpusRecord | RecordProblem> {
  const format = opts.format ?? guessFormat(opts.path);
  switch (format) {
    case 'jsonl':
      return jsonlRecords(opts);
    case 'csv':
      return delimitedRecords(opts, ',');
    case 'tsv':
      return delimitedRecords(opts, '\t');
    case 'text':
      return textRecords(opts);
  }
}

/**
 * Records of a corpus file, streamed. `stats` (pass your own to read it afterwards) counts records and
 * skipped lines. Throws INVALID_INPUT naming `file:line` on the first malformed line unless `skipInvalid`.
 */
export async function* readCorpus(
  opts: CorpusOptions,
  stats: CorpusStats = newCorpusStats(),
): AsyncGenerator<CorpusRecord> {
  // an S3 object: HEAD first, so a missing bucket or key or bad credentials fail here, clearly
  await statCorpus(opts.path);
  // A device, FIFO or socket would never end (/dev/zero) or block the reader forever (a FIFO).
  const st = isS3Url(opts.path) ? undefined : statSync(opts.path, { throwIfNoEntry: false });
  if (st && !st.isFile())
    throw new DistilleryError('INVALID_INPUT', `corpus ${opts.path} is not a regular file`, {
      hint: 'a corpus is a JSONL, CSV, TSV or text file',
    });
  try {
    for await (const item of source(opts)) {
      if (item instanceof RecordProblem) {
        if (!opts.skipInvalid) {
          throw new DistilleryError('INVALID_INPUT', `${opts.path}:${item.line}: ${item.message}`, {
            hint: 'fix the line, or pass --skip-invalid to skip and count such lines',
            details: { line: item.line },
          });
        }
        stats.skipped++;
        if (stats.problems.length < MAX_PROBLEMS_KEPT) stats.problems.push({ line: item.line, message: item.message });
        continue;
      }
      stats.records++;
      yield item;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DistilleryError('NOT_FOUND', `corpus file not found: ${opts.path}`, { hint: 'check the path' });
    }
    throw e;
  }
}

export interface ScannedCorpus extends CorpusStats {
  /** every record, when the file was at most `keepBytes` long: a second pass takes these instead of reading again */
  kept?: CorpusRecord[];
}

/**
 * Read the whole corpus once: counts for progress/ETA, and no surprise halfway. The records are dropped as
 * they go, except from a file of at most `keepBytes` (default 0: never), whose records are kept.
 */
export async function scanCorpus(opts: CorpusOptions, keepBytes = 0): Promise<ScannedCorpus> {
  const stats = newCorpusStats();
  const size =
    keepBytes > 0 && !isS3Url(opts.path)
      ? (statSync(opts.path, { throwIfNoEntry: false })?.size ?? Infinity)
      : Infinity;
  const kept: CorpusRecord[] | undefined = size <= keepBytes ? [] : undefined;
  for await (const record of readCorpus(opts, stats)) kept?.push(record);
  return kept ? { ...stats, kept } : stats;
}
