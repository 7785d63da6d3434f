/** `distillery models ...`: model fixtures built by the project, and (models-engine.ts) teacher tools. */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { buildBenchModel, buildFixtures } from '../../fixtures/index.ts';
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
    .argument('<out_dir>', 'where to write bench-bert-base/ (about 840 MB)')
    .description('Write a BERT-base-shaped random classifier (fp32, fp16 and int8) for benchmarks; not committed')
    .addHelpText('after', '\nExample:\n  distillery models build-bench bench/models')
    .action((outDir: string) => {
      const report = buildBenchModel(path.resolve(outDir), (line) => console.log(line));
      console.log(`wrote ${report.dir} in ${report.seconds.toFixed(1)} s`);
    });

  addEngineModelCommands(models);
}
