/** `distillery datasets list | show ID | rm ID`. */
import type { Command } from 'commander';
import { mergeShards } from '../../jobs/runner/merge-shards.ts';
import { openRuntime } from '../job-runtime.ts';

interface StoreFlags {
  db?: string;
  config?: string;
  json?: boolean;
}

const storeFlags = (cmd: Command) => cmd.option('--db <file>', 'SQLite store (default from the config)').option('--config <file>', 'config file (YAML or JSON)');

export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('List, inspect and remove datasets in the store');

  storeFlags(datasets.command('list').description('List datasets with their example counts'))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  distillery datasets list --db data/distillery.db')
    .action(async (opts: StoreFlags) => {
      const rt = await openRuntime(opts);
      try {
        const rows = rt.store.listDatasets().map((d) => {
          const s = rt.store.datasetStats(d.id);
          const status = (d.manifest as { status?: string } | null)?.status ?? '-';
          return { id: d.id, created: d.created, status, examples: s.examples, originals: s.originals, augmentations: s.augmentations, teachers: s.teachers.length };
        });
        if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return void console.log('no datasets');
        for (const r of rows) console.log(`${r.id}\t${r.status}\t${r.examples} examples (${r.originals} original, ${r.augmentations} augmented)\t${r.teachers} teacher(s)\t${r.created}`);
      } finally {
        await rt.close();
      }
    });

  storeFlags(datasets.command('show').description('Show a dataset: counts, teachers, cached outputs, the job that made it').argument('<id>', 'dataset id'))
    .addHelpText('after', '\nExample:\n  distillery datasets show sst2-eda')
    .action(async (id: string, opts: StoreFlags) => {
      const rt = await openRuntime(opts);
      try {
        const d = rt.store.requireDataset(id);
        console.log(JSON.stringify({ ...d, stats: rt.store.datasetStats(id) }, null, 2));
      } finally {
        await rt.close();
      }
    });

  storeFlags(datasets.command('rm').description('Remove a dataset and its examples (cached teacher outputs stay: other datasets share them)').argument('<id>', 'dataset id'))
    .addHelpText('after', '\nExample:\n  distillery datasets rm sst2-eda')
    .action(async (id: string, opts: StoreFlags) => {
      const rt = await openRuntime(opts);
      try {
        rt.store.requireDataset(id);
        rt.store.deleteDataset(id);
        console.log(`removed dataset ${id}`);
      } finally {
        await rt.close();
      }
    });

  storeFlags(
    datasets
      .command('merge')
      .description('Merge the shard datasets of `run --shard i/n` (same store file) into the dataset a single run would make')
      .argument('<dataset>', 'the job\'s dataset id (shards are <dataset>.shard-i-of-n)')
      .requiredOption('--shards <n>', 'number of shards'),
  )
    .addHelpText('after', '\nExample:\n  distillery datasets merge sst2-eda --shards 4')
    .action(async (id: string, opts: StoreFlags & { shards: string }) => {
      const rt = await openRuntime(opts);
      try {
        const r = await mergeShards(rt.store, id, Number(opts.shards));
        console.log(r.status === 'up-to-date' ? `dataset ${id} is already merged: ${r.examples} examples` : `merged ${opts.shards} shards into ${id}: ${r.examples} examples from ${r.records} records`);
      } finally {
        await rt.close();
      }
    });
}
