/** The `distillery` command line. Each subcommand lives in its own file under commands/. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { debugStacks } from '../config.ts';
import { isDistilleryError } from '../core/errors.ts';
import { registerModels } from './commands/models.ts';
import { registerRun } from './commands/run.ts';
import { registerEval } from './commands/eval.ts';
import { registerDatasets } from './commands/datasets.ts';
import { registerExport } from './commands/export.ts';
import { registerAugment } from './commands/augment.ts';
import { registerLabel } from './commands/label.ts';
import { registerServe } from './commands/serve.ts';
import { registerReport } from './commands/report.ts';
import { registerStore } from './commands/store.ts';
import { registerWorker } from './commands/worker.ts';
import { registerJobs } from './commands/jobs.ts';

const program = new Command('distillery')
  .description('Make knowledge-distillation datasets: augment, label with a teacher, store soft labels, export.')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError();
registerModels(program);
registerRun(program);
registerEval(program);
registerDatasets(program);
registerExport(program);
registerAugment(program);
registerLabel(program);
registerServe(program);
registerReport(program);
registerStore(program);
registerWorker(program);
registerJobs(program);

/** package.json sits two folders up from both src/cli/ and the built dist/cli/. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // One line on failure; the stack only when asked for.
  const line = isDistilleryError(err) ? err.toLine() : err instanceof Error ? err.message : String(err);
  process.stderr.write(`distillery: ${line}\n`);
  if (debugStacks()) console.error(err);
  process.exitCode = 1;
}
