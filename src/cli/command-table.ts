import type { CliCommandModule } from './commands/command-module.ts';

export type { CliCommandModule };

/**
 * Each command's module is imported only when that command runs: importing all of them parses the
 * whole program (hundreds of modules, zod schemas, the Parquet writer) before `--version` can answer.
 * The names must match each module's `.command(NAME)`; test/cli/command-table.test.ts checks they do.
 */
export const COMMAND_MODULES: Record<string, () => Promise<CliCommandModule>> = {
  models: () => import('./commands/models.ts'),
  run: () => import('./commands/run.ts'),
  eval: () => import('./commands/eval.ts'),
  datasets: () => import('./commands/datasets.ts'),
  export: () => import('./commands/export.ts'),
  augment: () => import('./commands/augment.ts'),
  label: () => import('./commands/label.ts'),
  serve: () => import('./commands/serve.ts'),
  report: () => import('./commands/report.ts'),
  store: () => import('./commands/store.ts'),
  worker: () => import('./commands/worker.ts'),
  jobs: () => import('./commands/jobs.ts'),
};

/** How a command appears in the top-level help: what follows its name, and its description. */
export interface CommandSummary {
  /** `[options] <job>`, as commander derives it from the command's options and arguments ('' for none) */
  usage: string;
  description: string;
}

/**
 * The top-level help (`distillery`, `--help`, `help`) is printed from these copies, so that it loads no
 * command module (all twelve cost ~0.4 s). They repeat what each module registers, in the same order;
 * test/cli/command-table.test.ts fails, naming the command, when the help they print differs by a byte
 * from the help of the modules themselves.
 */
export const COMMAND_SUMMARIES: Record<string, CommandSummary> = {
  models: { usage: '', description: 'Inspect teachers and build the model fixtures' },
  run: {
    usage: '[options] <job>',
    description:
      'Run a job file: read the corpus, augment, label with the teachers, store (and export). Resumable: rerun the same command after a crash or Ctrl-C.',
  },
  eval: {
    usage: '[options]',
    description:
      'Evaluate a teacher on a labelled corpus: accuracy, macro-F1, calibration (ECE, reliability table), temperature sweep; a causal LM: perplexity and next-token accuracy on the scored tokens',
  },
  datasets: { usage: '', description: 'List, inspect and remove datasets in the store' },
  export: {
    usage: '[options] <dataset>',
    description: 'Export a dataset for a trainer: Parquet shards, safetensors shards or JSONL, with a manifest',
  },
  augment: {
    usage: '[options]',
    description:
      'Augment a corpus with a recipe (no teacher labels): JSON lines of originals and augmentations with provenance',
  },
  label: {
    usage: '[options]',
    description:
      'Label a corpus with one or more teachers into the store; cached inputs are not recomputed. Resumable like run.',
  },
  serve: { usage: '[options]', description: 'Serve the HTTP API (soft labels, teachers, metrics, OpenAPI).' },
  report: {
    usage: '[options] <dataset>',
    description:
      'Write a dataset report (labels, confidence, entropy vs temperature, per-op stats, examples, attention, teacher evaluation) as one self-contained HTML file.',
  },
  store: { usage: '', description: 'Check the SQLite store for damage, and recover what is readable' },
  worker: {
    usage: '[options]',
    description:
      'Take label-chunk jobs from a Redis queue (see `run --queue`) and write their parts; one per GPU or CPU socket. SIGTERM finishes the chunk in flight.',
  },
  jobs: { usage: '', description: 'Distributed jobs on a Redis queue (run --queue, worker)' },
};
