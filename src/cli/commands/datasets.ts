/** `distillery datasets list | show ID | rm ID | merge ID | prune`. */
import type { Command } from 'commander';
import { withDatasetLock, loadMergeShards, sequenceDatasetOf } from '../../jobs/index-datasets.ts';
import { DistilleryError } from '../../core/errors.ts';
import { openStoreRuntime } from '../store-runtime.ts';

interface StoreFlags {
  db?: string;
  config?: string;
  json?: boolean;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** '90', '90s', '30m', '1h', '2d' -> seconds */
function parseDuration(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m)
    throw new DistilleryError('INVALID_INPUT', `--grace '${text}' is not a duration`, {
      hint: 'use seconds or a number with s, m, h or d: 0, 90s, 30m, 1h, 2d',
    });
  return Number(m[1]) * UNIT_SECONDS[m[2] || 's']!;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

const storeFlags = (cmd: Command) =>
  cmd
    .option('--db <file>', 'SQLite store (default from the config)')
    .option('--config <file>', 'config file (YAML or JSON)');

export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('List, inspect and remove datasets in the store');

  storeFlags(datasets.command('list').description('List datasets with their example counts'))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  distillery datasets list --db data/distillery.db')
    .action(async (opts: StoreFlags) => {
      const rt = openStoreRuntime(opts);
      try {
        const rows = rt.store.listDatasets().map((d) => {
          const status = (d.manifest as { status?: string } | null)?.status ?? '-';
          const sequenceSpec = sequenceDatasetOf(rt.store, d.id);
          if (sequenceSpec) {
            // a causal-LM dataset holds sequences; with a generate step every one of them was written by the teacher
            const c = rt.store.datasetSequences.counts(d.id);
            const generated = sequenceSpec.generate ? c.rows : 0;
            return {
              id: d.id,
              created: d.created,
              status,
              kind: 'causal-lm' as const,
              examples: c.rows - c.refused,
              originals: c.rows - generated,
              augmentations: generated,
              refused: c.refused,
              teachers: 1,
            };
          }
          const s = rt.store.datasetStats(d.id);
          return {
            id: d.id,
            created: d.created,
            status,
            examples: s.examples,
            originals: s.originals,
            augmentations: s.augmentations,
            teachers: s.teachers.length,
          };
        });
        if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return void console.log('no datasets');
        for (const r of rows) {
          const counts =
            'kind' in r
              ? `${r.examples} sequences (${r.augmentations > 0 ? `${r.augmentations} generated` : `${r.originals} from the corpus`}, ${r.refused} refused)`
              : `${r.examples} examples (${r.originals} original, ${r.augmentations} augmented)`;
          console.log(`${r.id}\t${r.status}\t${counts}\t${r.teachers} teacher(s)\t${r.created}`);
        }
      } finally {
        rt.close();
      }
    });

  storeFlags(
    datasets
      .command('show')
      .description('Show a dataset: counts, teachers, cached outputs, the job that made it')
      .argument('<id>', 'dataset id'),
  )
    .addHelpText('after', '\nExample:\n  distillery datasets show sst2-eda')
    .action(async (id: string, opts: StoreFlags) => {
      const rt = openStoreRuntime(opts);
      try {
        const d = rt.store.requireDataset(id);
        // a causal-LM dataset's rows are sequences: their counts and the refused rows with their field
        const sequences = sequenceDatasetOf(rt.store, id)
          ? {
              sequences: {
                ...rt.store.datasetSequences.counts(id),
                refusedRows: rt.store.datasetSequences.refused(id),
              },
            }
          : { stats: rt.store.datasetStats(id) };
        console.log(JSON.stringify({ ...d, ...sequences }, null, 2));
      } finally {
        rt.close();
      }
    });

  storeFlags(
    datasets
      .command('rm')
      .description('Remove a dataset and its examples (cached teacher outputs stay: other datasets share them)')
      .argument('<id>', 'dataset id'),
  )
    .addHelpText('after', '\nExample:\n  distillery datasets rm sst2-eda')
    .action(async (id: string, opts: StoreFlags) => {
      const rt = openStoreRuntime(opts);
      try {
        rt.store.requireDataset(id);
        // not while a run writes it
        await withDatasetLock(rt.store, id, `distillery datasets rm ${id}`, () => rt.store.deleteDataset(id));
        console.log(`removed dataset ${id}`);
      } finally {
        rt.close();
      }
    });

  storeFlags(
    datasets
      .command('merge')
      .description(
        'Merge the shard datasets of `run --shard i/n` (same store file) into the dataset a single run would make',
      )
      .argument('<dataset>', "the job's dataset id (shards are <dataset>.shard-i-of-n)")
      .requiredOption('--shards <n>', 'number of shards'),
  )
    .addHelpText('after', '\nExample:\n  distillery datasets merge sst2-eda --shards 4')
    .action(async (id: string, opts: StoreFlags & { shards: string }) => {
      const rt = openStoreRuntime(opts);
      try {
        const { mergeShards } = await loadMergeShards();
        const r = await withDatasetLock(rt.store, id, `distillery datasets merge ${id}`, () =>
          mergeShards(rt.store, id, Number(opts.shards)),
        );
        console.log(
          r.status === 'up-to-date'
            ? `dataset ${id} is already merged: ${r.examples} examples`
            : `merged ${opts.shards} shards into ${id}: ${r.examples} examples from ${r.records} records`,
        );
      } finally {
        rt.close();
      }
    });

  storeFlags(
    datasets
      .command('prune')
      .description(
        'Remove cached teacher outputs that no dataset uses any more (left by removed datasets, or cached by HTTP requests)',
      )
      .option(
        '--grace <duration>',
        'keep outputs written within this period: a running job writes outputs just before their examples',
        '1h',
      )
      .option('--dry-run', 'only count what would be removed')
      .option('--vacuum', 'then rewrite the file so the freed space goes back to the disk (writers wait meanwhile)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  distillery datasets rm sst2-old && distillery datasets prune --vacuum\n  distillery datasets prune --dry-run --grace 0',
    )
    .action(async (opts: StoreFlags & { grace: string; dryRun?: boolean; vacuum?: boolean }) => {
      const graceSeconds = parseDuration(opts.grace);
      const rt = openStoreRuntime(opts);
      try {
        const r = rt.store.pruneOutputs({ graceSeconds, dryRun: opts.dryRun ?? false });
        console.log(
          `${opts.dryRun ? 'would remove' : 'removed'} ${r.outputs} cached outputs${r.sequences > 0 ? ` and ${r.sequences} token sequences` : ''} (${mb(r.bytes)} of blobs) that no dataset uses`,
        );
        if (opts.vacuum && !opts.dryRun) {
          const v = rt.store.vacuum();
          console.log(`vacuum: ${mb(v.before)} -> ${mb(v.after)}`);
        }
      } finally {
        rt.close();
      }
    });
}

/** main.ts loads this module only when the command line names `datasets`. */
export { registerDatasets as register };
