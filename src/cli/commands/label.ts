/** `distillery label`: label a corpus with a teacher into the store (cache first), no augmentation. */
import path from 'node:path';
import type { Command } from 'commander';
import { DistilleryError } from '../../core/errors.ts';
import { parseJob, type JobInput } from '../../jobs/index.ts';
import { openRuntime, reportResult, runJobCommand, type ProgressMode, type Runtime } from '../job-runtime.ts';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../corpus-flags.ts';
import { runExports } from '../run-exports.ts';

interface LabelFlags extends CorpusFlags {
  teacher: string[];
  dataset?: string;
  temperatures: string;
  topK?: string;
  samples?: string;
  scope?: string;
  maskRoles?: string;
  overflow?: string;
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
    .option('--samples <n>', 'causal LMs: importance-sampled ids, N draws per position')
    .option('--scope <scope>', 'causal LMs: scored positions, response (default) or all')
    .option('--mask-roles <list>', 'causal LMs: roles whose tokens are never scored, e.g. tool,system')
    .option('--overflow <side>', 'causal LMs: a row longer than the context: refuse (default), left or right')
    .option('--encoding <enc>', 'fp32, fp16 or int8', 'fp32')
    .option('--chunk-size <n>', 'examples per committed chunk', '1000')
    .option('--out <dir>', 'export the dataset here when done')
    .option('--export-format <format>', 'parquet, safetensors or jsonl', 'parquet')
    .option('--db <file>', 'SQLite store (default from the config)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--progress <mode>', 'auto, bar, json or none', 'auto')
    .addHelpText(
      'after',
      `
Examples:
  distillery label --input ../shared/data/corpora/sst2/dev.jsonl --teacher demo --temperatures 1,2,4 --out out/dev
  distillery label --config data/demo-lm.config.yaml --teacher demo-lm --input data/demo-chat.jsonl --top-k 16 --samples 12 --out out/chat`,
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
      const rt = await openRuntime(opts);
      try {
        if (isCausal(rt, opts.teacher[0]!)) {
          input.sequence = sequenceFlags(opts);
          delete input.outputs; // the classifier outputs do not apply
        }
        const job = parseJob(input, 'label options');
        const result = await runJobCommand(rt, job, opts.progress);
        reportResult(result);
        if (result.status !== 'cancelled') await runExports(rt, job, result.dataset);
      } finally {
        await rt.close();
      }
    });
}

function isCausal(rt: Runtime, teacher: string): boolean {
  try {
    return rt.registry.isCausal(teacher);
  } catch {
    return false; // an unknown name is reported by the job, with the configured teachers
  }
}

/** The `sequence` section a causal-LM teacher's label run asks for; the job schema judges the values. */
function sequenceFlags(opts: LabelFlags): NonNullable<JobInput['sequence']> {
  const temperatures = opts.temperatures.split(',').map(Number);
  if (temperatures.length !== 1)
    throw new DistilleryError('INVALID_INPUT', `--temperatures ${opts.temperatures}: a causal LM is labelled at one T`);
  return {
    temperature: temperatures[0],
    topK: opts.topK === undefined ? (opts.samples === undefined ? 64 : undefined) : Number(opts.topK),
    ...(opts.samples === undefined ? {} : { samples: Number(opts.samples) }),
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
    ...(opts.maskRoles === undefined ? {} : { maskRoles: opts.maskRoles.split(',').map((r) => r.trim()) }),
    ...(opts.overflow === undefined ? {} : { overflow: opts.overflow }),
  } as NonNullable<JobInput['sequence']>;
}

/** main.ts loads this module only when the command line names `label`. */
export { registerLabel as register };
