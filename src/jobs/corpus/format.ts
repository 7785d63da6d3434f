/** Guess a corpus format from the file name. */
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { CorpusFormat } from './types.ts';

const BY_EXTENSION: Readonly<Record<string, CorpusFormat>> = Object.freeze({
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.txt': 'text',
  '.text': 'text',
});

export function guessFormat(file: string): CorpusFormat {
  const format = BY_EXTENSION[path.extname(file).toLowerCase()];
  if (!format) {
    throw new DistilleryError('INVALID_INPUT', `cannot tell the format of ${file} from its extension`, {
      hint: 'pass --format jsonl|csv|tsv|text',
    });
  }
  return format;
}
