/** `distillery label`: label a corpus with a teacher into the store (cache first), no augmentation. */
import path from 'node:path';
import type { Command } from 'commander';
import { DistilleryError } from '../../core/errors.ts';
import { parseJob, type JobInput } from '../../jobs/index.ts';
import { openRuntime, reportResult, runJobCommand, type ProgressMode } from '../job-runtime.ts';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../corpus-flags.ts';
import { runExports } from '../run-exports.ts';

interface LabelFlags extends CorpusFlags {
  teacher: string[];
  dataset?: string;
  temperatures: string;
  topK?: string;
  hidden?: string;
  encoding: string;
  chunkSize: string;
  out?: string;
  exportFormat: string;
  db?: string;
  config?: string;
  progress: ProgressMode;
}

/** `last:cls`, `all:mean`, `3,6,12:cls` */
function parseHidden(s: string): { layers: 'all' | 'last' | number[]; pooling: string } {
  const [layers = '', pooling = 'cls'] = s.split(':');
  if (layers === 'all' || layers === 'last') return { layers, pooling };
  const list = layers.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 0))
    throw new DistilleryError('INVALID_INPUT', `--hidden ${s}: expected LAYERS:POOLING such as last:cls or 6,12:mean`);
  return { layers: list, pooling };
}

export const datasetIdFor = (file: string): string =>
  `label-${path
    .basename(file)
    .replace(/\.[^.]+$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')}`.slice(0, 48);

export function registerLabel(program: Command): void {
  const cmd = program
    .command('label')
    .description(
      'Label a corpus with one or more teachers into the store; cached inputs are not recomputed. Resumable like run.',
    );
  addCorpusFlags(cmd)
    .requiredOption('--teacher <name...>', 'teacher name(s) from the config')
    .option('--dataset <id>', 'dataset id (default: label-<file name>)')
    .option('--temperatures <list>', 'probabilities at these temperatures', '1')
    .option('--top-k <k>', 'also keep the top-k logits')
    .option('--hidden <layers:pooling>', 'pooled hidden states, e.g. last:cls or 6,12:mean')
    .option('--encoding <enc>', 'fp32, fp16 or int8', 'fp32')
    .option('--chunk-size <n>', 'examples per committed chunk', '1000')
    .option('--out <dir>', 'export the dataset here when done')
    .option('--export-format <format>', 'parquet, safetensors or jsonl', 'parquet')
    .option('--db <file>', 'SQLite store (default from the config)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--progress <mode>', 'auto, bar, json or none', 'auto')
    .addHelpText(
      'after',
      '\nExample:\n  distillery label --input ../shared/data/corpora/sst2/dev.jsonl --teacher demo --temperatures 1,2,4 --out out/dev',
    )
    .action(async (opts: LabelFlags) => {
      const corpus = corpusOptions(opts);
      const input: JobInput = {
        dataset: opts.dataset ?? datasetIdFor(opts.input),
        corpus: { ...corpus, path: path.resolve(corpus.path) },
        recipe: null,
        teachers: opts.teacher,
        outputs: {
          temperatures: opts.temperatures.split(',').map(Number),
          encoding: opts.encoding,
          ...(opts.topK ? { topK: Number(opts.topK) } : {}),
          ...(opts.hidden ? { hidden: parseHidden(opts.hidden) } : {}),
        },
        chunkSize: Number(opts.chunkSize),
        export: opts.out ? [{ format: opts.exportFormat, out: path.resolve(opts.out) }] : [],
      } as JobInput;
      const job = parseJob(input, 'label options');
      const rt = await openRuntime(opts);
      try {
        const result = await runJobCommand(rt, job, opts.progress);
        reportResult(result);
        if (result.status !== 'cancelled') await runExports(rt, job, result.dataset);
      } finally {
        await rt.close();
      }
    });
}
