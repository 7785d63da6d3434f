/**
 * Corpus rows of a causal-LM job: JSONL lines holding {prompt, response}, {messages} or {text}, or a
 * plain text file (one {text} row per non-empty line). The shape is not judged here: the teacher's
 * encoder gives a row it cannot score a per-row status naming the field. Here only what stops a job
 * before anything is stored: a line that is not a JSON object, a repeated id (or, with skipInvalid,
 * such lines skipped and counted).
 */
import { statSync } from 'node:fs';
import { isS3Url } from '../../storage/s3-url.ts';
import { statCorpus } from './corpus-bytes.ts';
import { DistilleryError } from '../../core/errors.ts';
import type { SequenceInput } from '../../teacher/causal/sequence-input.ts';
import { guessFormat } from './format.ts';
import { readLines } from './lines.ts';
import type { CorpusOptions, CorpusStats } from './types.ts';

export interface SequenceRecord {
  line: number;
  id: string;
  input: SequenceInput;
}

const MAX_PROBLEMS_KEPT = 20;

/** The fields of a JSON row the encoder reads; anything else is left out. */
function inputOf(row: Record<string, unknown>, textColumn: string): SequenceInput {
  if ('messages' in row) return { messages: row.messages } as SequenceInput;
  if ('prompt' in row || 'response' in row) return { prompt: row.prompt, response: row.response } as SequenceInput;
  if (textColumn in row) return { text: row[textColumn] } as SequenceInput;
  return {} as SequenceInput;
}

function idOf(row: Record<string, unknown>, line: number, opts: CorpusOptions): string | Error {
  if (opts.idColumn === false) return String(line);
  const column = opts.idColumn ?? 'id';
  const v = row[column];
  if (v === undefined || v === null) return opts.idColumn ? new Error(`no "${column}" field`) : String(line);
  if (typeof v !== 'string' && typeof v !== 'number') return new Error(`"${column}" must be a string or a number`);
  return String(v);
}

/**
 * Streams the rows. `stats` counts records and skipped lines. Throws INVALID_INPUT naming `file:line`
 * on the first malformed line unless `skipInvalid`.
 */
export async function* readSequenceCorpus(opts: CorpusOptions, stats: CorpusStats): AsyncGenerator<SequenceRecord> {
  const format = opts.format ?? guessFormat(opts.path);
  if (format !== 'jsonl' && format !== 'text')
    throw new DistilleryError('INVALID_INPUT', `corpus.format: a causal-LM job reads jsonl or text, not ${format}`, {
      hint: 'write one JSON object per line: {"prompt","response"}, {"messages":[...]} or {"text"}',
    });
  await statCorpus(opts.path);
  const st = isS3Url(opts.path) ? { isFile: () => true } : statSync(opts.path, { throwIfNoEntry: false });
  if (!st) throw new DistilleryError('NOT_FOUND', `corpus file not found: ${opts.path}`, { hint: 'check the path' });
  if (!st.isFile()) throw new DistilleryError('INVALID_INPUT', `corpus ${opts.path} is not a regular file`);
  const seen = new Map<string, number>();
  const textColumn = opts.textColumn ?? 'text';
  for await (const { line, text } of readLines(opts)) {
    if (text.trim() === '') continue;
    let problem: string | undefined;
    let record: SequenceRecord | undefined;
    if (format === 'text') {
      record = { line, id: String(line), input: { text } };
    } else {
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch (e) {
        problem = `not valid JSON (${(e as Error).message})`;
      }
      if (problem === undefined && (typeof row !== 'object' || row === null || Array.isArray(row)))
        problem = 'expected a JSON object per line';
      if (problem === undefined) {
        const r = row as Record<string, unknown>;
        const id = idOf(r, line, opts);
        if (id instanceof Error) problem = id.message;
        else record = { line, id, input: inputOf(r, textColumn) };
      }
    }
    if (record && seen.has(record.id)) problem = `id "${record.id}" repeats the id of line ${seen.get(record.id)}`;
    if (problem !== undefined || !record) {
      if (!opts.skipInvalid)
        throw new DistilleryError('INVALID_INPUT', `${opts.path}:${line}: ${problem}`, {
          hint: 'fix the line, or pass --skip-invalid to skip and count such lines',
          details: { line },
        });
      stats.skipped++;
      if (stats.problems.length < MAX_PROBLEMS_KEPT) stats.problems.push({ line, message: problem ?? 'malformed' });
      continue;
    }
    seen.set(record.id, line);
    stats.records++;
    yield record;
  }
}
