/** `distillery models ...`: model fixtures built by the project, and (models-engine.ts) teacher tools. */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { DistilleryError } from '../../core/errors.ts';
import { buildBenchModel, buildFixtures, SMOLLM_SHAPE, writeCausal } from '../../fixtures/index.ts';
import { addEngineModelCommands } from './models-engine.ts';

export function registerModels(program: Command): void {
  const models = program.command('models').description('Inspect teachers and build the model fixtures');

  models
    .command('build-fixtures')
    .argument('[out_dir]', 'where to write the fixtures', 'models')
    .option('--only <names...>', 'build only these fixtures')
    .description('Write every committed model fixture (deterministic: rebuilding gives identical bytes)')
    .addHelpText(
      'after',
      '\nExamples:\n  distillery models build-fixtures\n  distillery models build-fixtures /tmp/fixtures --only tiny-bert-mlm',
    )
    .action(async (outDir: string, opts: { only?: string[] }) => {
      const { sharedDir } = loadConfig();
      for (const f of await buildFixtures(path.resolve(outDir), { sharedDir }, opts.only)) {
        console.log(`${path.join(outDir, f.name)}  (${f.ms} ms)`);
      }
    });

  models
    .command('build-bench')
    .argument(
      '<out_dir>',
      'where to write bench-bert-base/ (about 840 MB: fp32, fp16 and int8) or bench-llama-135m/ (about 540 MB)',
    )
    .option('--arch <arch>', 'bert (a BERT-base classifier) or llama (a SmolLM-135M-shaped causal LM)', 'bert')
    .description('Write a random-weight model for benchmarks; not committed')
    .addHelpText(
      'after',
      '\nExamples:\n  distillery models build-bench bench/models\n  distillery models build-bench bench/models --arch llama',
    )
    .action(async (outDir: string, opts: { arch: string }) => {
      const started = Date.now();
      if (opts.arch === 'llama') {
        const dir = await writeCausal(path.resolve(outDir), 'bench-llama-135m', 'llama', 'llama3', SMOLLM_SHAPE);
        return void console.log(`wrote ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      if (opts.arch !== 'bert')
        throw new DistilleryError('INVALID_INPUT', `--arch must be bert or llama, got ${opts.arch}`);
      const report = buildBenchModel(path.resolve(outDir), (line) => console.log(line));
      console.log(`wrote ${report.dir} in ${report.seconds.toFixed(1)} s`);
    });

  addEngineModelCommands(models);
}

/** main.ts loads this module only when the command line names `models`. */
export { registerModels as register };
