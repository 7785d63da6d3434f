/** `distillery augment`: run a recipe over a corpus and write the results as JSON lines. */
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Command } from 'commander';
import { parseYaml } from '../../core/yaml.ts';
import { DistilleryError } from '../../core/errors.ts';
import { compileRecipe } from '../../augment/index.ts';
import {
  AugmentModels,
  augmentModelsExample,
  type MissingModelHint,
  makeAugmenterFactory,
  withCorpusSize,
  augmentFile,
  newCorpusStats,
  scanCorpus,
  recipeSchema,
  type JobTeacher,
} from '../../jobs/index-augment.ts';
import { loadCliConfig, openRegistry } from '../cli-context.ts';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../corpus-flags.ts';

/** A corpus file up to this size is read once, its records kept from the scan that counts them for the recipe. */
const KEEP_RECORDS_BYTES = 32 * 1024 * 1024;

/** A built-in name, a YAML/JSON file, or inline JSON. */
export function readRecipe(value: string): unknown {
  let raw: unknown = value;
  if (value.trim().startsWith('{')) raw = JSON.parse(value);
  else if (existsSync(value)) raw = parseYaml(readFileSync(value, 'utf8'));
  const r = recipeSchema.safeParse(raw);
  if (!r.success)
    throw new DistilleryError('INVALID_INPUT', `--recipe ${value}: ${r.error.issues[0]?.message ?? 'invalid recipe'}`, {
      hint: 'use eda, tinybert, backtranslate, adversarial, paraphrase, a recipe file, or inline JSON',
    });
  return r.data;
}

/** `en-de=opus-mt-en-de` items (also comma-separated) -> { 'en-de': folder }. */
export function parseTranslationFlags(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values.flatMap((v) => v.split(','))) {
    const m = /^([a-z]{2,3}-[a-z]{2,3})=(.+)$/.exec(item.trim());
    if (!m)
      throw new DistilleryError(
        'INVALID_INPUT',
        `--translation ${item}: expected DIRECTION=MODEL, e.g. en-de=opus-mt-en-de`,
        { hint: 'give one per direction the recipe runs, e.g. --translation en-de=opus-mt-en-de de-en=opus-mt-de-en' },
      );
    out[m[1]!] = modelFlag(m[2]!);
  }
  return out;
}

/** A model flag: a folder that exists from here, else a folder name in the models dir. */
const modelFlag = (value: string): string => (existsSync(path.resolve(value)) ? path.resolve(value) : value);

const cliHint: MissingModelHint = (recipe, what, key, example) => {
  const flag =
    key === 'fillMask'
      ? `--fill-mask ${example}`
      : key === 'generator'
        ? `--generator ${example}`
        : `--translation ${key.slice('translation.'.length)}=${example}`;
  return new DistilleryError('INVALID_INPUT', `recipe ${recipe} needs ${what}`, {
    hint: `pass ${flag}, or set ${augmentModelsExample(key, example)} in the config`,
    details: { key },
  });
};

interface AugmentFlags extends CorpusFlags {
  recipe: string;
  seed: string;
  output?: string;
  onlyNew?: boolean;
  teacher?: string;
  fillMask?: string;
  generator?: string;
  translation?: string[];
  config?: string;
}

export function registerAugment(program: Command): void {
  const cmd = program
    .command('augment')
    .description(
      'Augment a corpus with a recipe (no teacher labels): JSON lines of originals and augmentations with provenance',
    );
  addCorpusFlags(cmd)
    .requiredOption(
      '--recipe <recipe>',
      'built-in recipe (eda, tinybert, backtranslate, adversarial, paraphrase), a recipe YAML/JSON file, or inline JSON',
    )
    .option('--seed <seed>', 'seed: the same corpus + recipe + seed gives the same output', '1')
    .option('--output <file>', 'write here instead of stdout')
    .option('--only-new', 'write only the augmentations, not the originals')
    .option(
      '--teacher <name>',
      "configured teacher that scores teacher-guided recipes (adversarial; default: the config's augmentModels.scorer, else the default teacher)",
    )
    .option(
      '--fill-mask <model>',
      "masked-LM model for masked-lm / tinybert: a folder in the models dir or a path (default: the config's augmentModels.fillMask)",
    )
    .option(
      '--generator <model>',
      "causal LM that writes for generate / paraphrase: a folder in the models dir or a path (default: the config's augmentModels.generator)",
    )
    .option(
      '--translation <direction=model...>',
      "translation model per direction for back-translate, e.g. en-de=opus-mt-en-de de-en=opus-mt-de-en (default: the config's augmentModels.translation)",
    )
    .option('--config <file>', 'config file (YAML or JSON)')
    .addHelpText(
      'after',
      `
Examples:
  distillery augment --input ../shared/data/corpora/sst2/dev.jsonl --recipe eda --seed 1 --output dev-eda.jsonl
  distillery augment --input ../shared/data/corpora/sst2/dev.jsonl --recipe tinybert --fill-mask demo-mlm
  distillery augment --input ../shared/data/corpora/sst2/dev.jsonl --recipe '{"builtin":"backtranslate","params":{"pivots":["xx"]}}' \\
    --translation en-xx=tiny-marian-en-xx xx-en=tiny-marian-xx-en
  distillery augment --input ../shared/data/corpora/sst2/dev.jsonl --recipe paraphrase --generator demo-lm --only-new`,
    )
    .action(async (opts: AugmentFlags) => {
      const corpus = corpusOptions(opts);
      const recipe = readRecipe(opts.recipe);
      const translation = opts.translation ? parseTranslationFlags(opts.translation) : undefined;
      const scanned = await scanCorpus(corpus, KEEP_RECORDS_BYTES);
      const config = loadCliConfig(opts.config ? { config: opts.config } : {});
      let registry: Awaited<ReturnType<typeof openRegistry>> | undefined;
      const models = new AugmentModels(
        {
          fillMask: opts.fillMask ? modelFlag(opts.fillMask) : config.augmentModels.fillMask,
          generator: opts.generator ? modelFlag(opts.generator) : config.augmentModels.generator,
          translation: translation ?? config.augmentModels.translation,
        },
        { modelsDir: config.modelsDir, missing: cliHint },
      );
      try {
        const needsScorer = compileRecipe(withCorpusSize(recipe, scanned.records)).op.needs.includes('scorer');
        const scorer =
          opts.teacher ??
          (needsScorer
            ? (config.augmentModels.scorer ?? config.defaultTeacher ?? config.teachers[0]!.name)
            : undefined);
        if (scorer) registry = await openRegistry(config);
        const teachers: JobTeacher[] = registry && scorer ? [{ runner: await registry.get(scorer), weight: 1 }] : [];
        const seed = /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
        const augmenter = await makeAugmenterFactory({ modelsDir: config.modelsDir, models })(recipe, seed, {
          corpusRecords: scanned.records,
          teachers,
        });
        const out = opts.output ? createWriteStream(opts.output) : process.stdout;
        // Kept records are not read again, and the scan has counted their skipped lines.
        const stats = scanned.kept ? scanned : newCorpusStats();
        const totals = await augmentFile(
          corpus,
          augmenter,
          async (lines) => {
            if (!out.write(lines)) await once(out, 'drain');
          },
          { onlyNew: opts.onlyNew ?? false, stats, records: scanned.kept },
        );
        if (opts.output) {
          const file = out as ReturnType<typeof createWriteStream>;
          file.end();
          await once(file, 'finish');
        }
        const skippedLines = stats.skipped > 0 ? `, ${stats.skipped} invalid lines skipped` : '';
        process.stderr.write(
          `augmented ${totals.records} records: ${totals.augmentations} augmentations, ${totals.skipped} attempts skipped${skippedLines}\n`,
        );
      } finally {
        await Promise.all([registry?.close(), models.dispose()]);
      }
    });
}

/** main.ts loads this module only when the command line names `augment`. */
export { registerAugment as register };
