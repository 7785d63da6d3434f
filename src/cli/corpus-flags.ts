/** The corpus flags shared by eval, augment and label. */
import type { Command } from 'commander';
import type { CorpusOptions } from '../jobs/index.ts';

/** Commander's view of the corpus options: `--input` is the path. */
export type CorpusFlags = Omit<CorpusOptions, 'path'> & { input: string };

export function addCorpusFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--input <file>', 'corpus: .jsonl, .csv, .tsv or .txt (one text per line)')
    .option('--format <format>', 'jsonl, csv, tsv or text (default: from the extension)')
    .option('--text-column <name>', 'text column (default: text, sentence or text_a)')
    .option('--pair-column <name>', 'second text of a pair (default: text_b with text_a)')
    .option('--label-column <name>', 'gold label column (default: label)')
    .option('--id-column <name>', 'stable id column (default: id when the records have it, else the line number)')
    .option('--no-id-column', 'use line numbers as ids even when the records have an id')
    .option('--skip-invalid', 'skip and count malformed lines instead of stopping');
}

export function corpusOptions(f: CorpusFlags): CorpusOptions {
  const o: CorpusOptions = { path: f.input, skipInvalid: f.skipInvalid ?? false };
  if (f.format) o.format = f.format;
  if (f.textColumn) o.textColumn = f.textColumn;
  if (f.pairColumn) o.pairColumn = f.pairColumn;
  if (f.labelColumn) o.labelColumn = f.labelColumn;
  if (f.idColumn !== undefined) o.idColumn = f.idColumn;
  return o;
}
