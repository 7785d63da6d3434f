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
