/** `distillery export DATASET --format parquet|safetensors|jsonl --out DIR`. */
import type { Command } from 'commander';
import { DistilleryError } from '../../core/errors.ts';
import { EXPORT_FORMATS, exportDataset, type ExportFormat } from '../../export/index.ts';
import { exportSequenceDataset, resolveTeacherFingerprint, sequenceDatasetOf } from '../../jobs/index.ts';
import { openRuntime } from '../job-runtime.ts';

interface ExportFlags {
  format: string;
  out: string;
  teacher?: string;
  temperatures?: string;
  shardRows?: string;
  distillkitOnly?: boolean;
  db?: string;
  config?: string;
}

function parseTemperatures(s: string): number[] {
  const ts = s.split(',').map((x) => Number(x.trim()));
  if (ts.some((t) => !(t > 0)))
    throw new DistilleryError('INVALID_INPUT', `--temperatures ${s}: expected numbers > 0 separated by commas`);
  return ts;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Export a dataset for a trainer: Parquet shards, safetensors shards or JSONL, with a manifest')
    .argument('<dataset>', 'dataset id')
    .requiredOption('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`)
    .requiredOption('--out <dir>', 'output directory')
    .option('--teacher <name>', 'teacher name or fingerprint prefix (needed when the dataset has several)')
    .option('--temperatures <list>', "probability columns at these temperatures, e.g. 1,2,4 (default: the job's)")
    .option('--shard-rows <n>', 'rows per shard file (default 100000)')
    .option('--distillkit-only', "causal-LM datasets, Parquet: only DistillKit's five columns (for its prepacked mode)")
    .option('--db <file>', 'SQLite store (default from the config)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .addHelpText('after', '\nExample:\n  distillery export sst2-eda --format parquet --out out/sst2-eda')
    .action(async (dataset: string, opts: ExportFlags) => {
      if (!EXPORT_FORMATS.includes(opts.format as ExportFormat)) {
        throw new DistilleryError(
          'INVALID_INPUT',
          `--format ${opts.format}: expected one of ${EXPORT_FORMATS.join(', ')}`,
        );
      }
      const rt = await openRuntime(opts);
      try {
        rt.store.requireDataset(dataset);
        if (sequenceDatasetOf(rt.store, dataset)) {
          const r = exportSequenceDataset(rt.store, dataset, {
            format: opts.format as ExportFormat,
            outDir: opts.out,
            command: `distillery ${process.argv.slice(2).join(' ')}`,
            ...(opts.shardRows ? { shardRows: Number(opts.shardRows) } : {}),
            ...(opts.distillkitOnly ? { distillkitOnly: true } : {}),
          });
          const refused = r.manifest.refused > 0 ? ` (${r.manifest.refused} refused rows left out)` : '';
          console.log(
            `exported ${r.manifest.rows} sequences in ${r.manifest.files.length} file(s)${refused}; manifest ${r.manifestPath}`,
          );
          return;
        }
        const r = exportDataset(rt.store, dataset, {
          format: opts.format as ExportFormat,
          outDir: opts.out,
          command: `distillery ${process.argv.slice(2).join(' ')}`,
          ...(opts.teacher ? { teacher: resolveTeacherFingerprint(rt.store, dataset, opts.teacher) } : {}),
          ...(opts.temperatures ? { temperatures: parseTemperatures(opts.temperatures) } : {}),
          ...(opts.shardRows ? { shardRows: Number(opts.shardRows) } : {}),
        });
        console.log(
          `exported ${r.manifest.rows} rows in ${r.manifest.files.length} file(s); manifest ${r.manifestPath}`,
        );
      } finally {
        await rt.close();
      }
    });
}

/** main.ts loads this module only when the command line names `export`. */
export { registerExport as register };
