/** `distillery augment`: run a recipe over a corpus and write the results as JSON lines. */
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { DistilleryError } from '../../core/errors.ts';
import { makeAugmenterFactory } from '../../jobs/augmenter.ts';
import { augmentFile } from '../../jobs/augment-file.ts';
import { newCorpusStats, scanCorpus } from '../../jobs/corpus/index.ts';
import { recipeSchema } from '../../jobs/job-schema.ts';
import type { JobTeacher } from '../../jobs/runner/run-job.ts';
import { loadCliContext } from '../cli-context.ts';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../corpus-flags.ts';

/** A built-in name, a YAML/JSON file, or inline JSON. */
export function readRecipe(value: string): unknown {
  let raw: unknown = value;
  if (value.trim().startsWith('{')) raw = JSON.parse(value);
  else if (existsSync(value)) raw = parseYaml(readFileSync(value, 'utf8'));
  const r = recipeSchema.safeParse(raw);
  if (!r.success) throw new DistilleryError('INVALID_INPUT', `--recipe ${value}: ${r.error.issues[0]?.message ?? 'invalid recipe'}`, { hint: 'use eda, tinybert, adversarial, a recipe file, or inline JSON' });
  return r.data;
}

export function registerAugment(program: Command): void {
  const cmd = program.command('augment').description('Augment a corpus with a recipe (no teacher labels): JSON lines of originals and augmentations with provenance');
  addCorpusFlags(cmd)
    .requiredOption('--recipe <recipe>', 'built-in recipe (eda, adversarial, ...), a recipe YAML/JSON file, or inline JSON')
    .option('--seed <seed>', 'seed: the same corpus + recipe + seed gives the same output', '1')
    .option('--output <file>', 'write here instead of stdout')
    .option('--only-new', 'write only the augmentations, not the originals')
    .option('--teacher <name>', 'teacher for teacher-guided recipes (adversarial)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .addHelpText('after', '\nExample:\n  distillery augment --input ../shared/data/corpora/sst2/dev.jsonl --recipe eda --seed 1 --output dev-eda.jsonl')
    .action(async (opts: CorpusFlags & { recipe: string; seed: string; output?: string; onlyNew?: boolean; teacher?: string; config?: string }) => {
      const corpus = corpusOptions(opts);
      const recipe = readRecipe(opts.recipe);
      const scanned = await scanCorpus(corpus);
      const { registry } = await loadCliContext(opts.config ? { config: opts.config } : {});
      try {
        const teachers: JobTeacher[] = opts.teacher ? [{ runner: await registry.get(opts.teacher), weight: 1 }] : [];
        const seed = /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
        const augmenter = await makeAugmenterFactory()(recipe, seed, { corpusRecords: scanned.records, teachers });
        const out = opts.output ? createWriteStream(opts.output) : process.stdout;
        const stats = newCorpusStats();
        const totals = await augmentFile(corpus, augmenter, async (line) => {
          if (!out.write(`${line}\n`)) await once(out, 'drain');
        }, { onlyNew: opts.onlyNew ?? false, stats });
        if (opts.output) {
          const file = out as ReturnType<typeof createWriteStream>;
          file.end();
          await once(file, 'finish');
        }
        const skippedLines = stats.skipped > 0 ? `, ${stats.skipped} invalid lines skipped` : '';
        process.stderr.write(`augmented ${totals.records} records: ${totals.augmentations} augmentations, ${totals.skipped} attempts skipped${skippedLines}\n`);
      } finally {
        await registry.close();
      }
    });
}
