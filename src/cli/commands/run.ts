/** `distillery run JOB.yaml`: augment + label + store (+ export) in one resumable job. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DistilleryError } from '../../core/errors.ts';
import {
  causalTeacherOf,
  checkExportOnlyJob,
  parseJobYaml,
  shardSchema,
  type JobSpec,
  resolveJobPaths,
} from '../../jobs/index.ts';
import { openRuntime, reportResult, runJobCommand, type ProgressMode } from '../job-runtime.ts';
import { runExports } from '../run-exports.ts';
import {
  causalTeacherFor,
  exportPartsDir,
  mergeCausalPartsDir,
  mergePartsDir,
  runCausalShardParts,
  runShardParts,
} from '../parts-run.ts';
import { runOnQueue, type QueueRunOptions } from '../queue-run.ts';

interface RunOptions extends Partial<QueueRunOptions> {
  db?: string;
  config?: string;
  shard?: string;
  skipInvalid?: boolean;
  progress: ProgressMode;
  export: boolean;
  exportOnly?: boolean;
}

export function readJobFile(file: string): JobSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new DistilleryError('NOT_FOUND', `cannot read job file ${file}`, { hint: 'check the path' });
  }
  return resolveJobPaths(parseJobYaml(text, file), path.dirname(path.resolve(file)));
}

function checkExportOnly(opts: RunOptions, job: JobSpec): void {
  const fix = {
    hint: 'use it as: distillery run JOB --parts DIR --export-only, or distillery run JOB --queue URL --export-only',
  };
  if (!opts.export)
    throw new DistilleryError('INVALID_INPUT', '--export-only and --no-export contradict each other', fix);
  if (opts.queue === undefined && (opts.parts === undefined || job.shard))
    throw new DistilleryError(
      'INVALID_INPUT',
      '--export-only finalizes parts: it needs --queue, or --parts DIR without --shard',
      fix,
    );
  // before a queued job exists: on the queue, the refusal would fail the job's finalize for good
  checkExportOnlyJob(job);
}

/** What a causal-LM job cannot do on the queue, refused before Redis is asked anything. */
function refuseCausalOnQueue(job: JobSpec, opts: RunOptions): void {
  if (job.sequence?.generate)
    throw new DistilleryError(
      'INVALID_INPUT',
      '--queue: a causal-LM job with sequence.generate does not run on queue workers yet: its rows are written by the generator',
      { hint: 'run it whole (without --queue); it resumes after an interruption all the same' },
    );
  if (opts.exportOnly)
    throw new DistilleryError('INVALID_INPUT', '--export-only: causal-LM parts are merged into the store', {
      hint: 'drop --export-only: distillery run JOB --queue URL merges the parts, then exports',
    });
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'Run a job file: read the corpus, augment, label with the teachers, store (and export). Resumable: rerun the same command after a crash or Ctrl-C.',
    )
    .argument('<job>', 'job file (YAML or JSON)')
    .option('--db <file>', 'SQLite store (default from the config: data/distillery.db)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--shard <i/n>', 'process shard i of n (0-based); each shard writes <dataset>.shard-i-of-n')
    .option('--skip-invalid', 'skip and count malformed corpus lines instead of stopping')
    .option('--progress <mode>', 'auto (bar on a terminal, JSON lines otherwise), bar, json or none', 'auto')
    .option('--no-export', "do not write the job's export targets")
    .option('--queue <url>', 'run on workers through BullMQ on this Redis (redis://HOST:PORT); rerunning attaches')
    .option(
      '--parts <dir>',
      'directory of the chunk parts: with --queue, where workers write them (default: parts/<job id> beside JOB); with --shard i/n, write the parts of the chunks shard i owns there (no queue); alone, merge the parts there into the store and export',
    )
    .option(
      '--export-only',
      'with --queue, or --parts DIR alone: finalize writes the export targets straight from the parts and no rows into the store (datasets too big for one SQLite file)',
    )
    .option('--attempts <n>', 'with --queue: tries per chunk before it counts as failed', '3')
    .option('--lock-duration <ms>', 'with --queue: lock of the finalize step (BullMQ default 30000)')
    .addHelpText(
      'after',
      `
Example JOB.yaml:
  dataset: sst2-eda
  corpus: { path: ../shared/data/corpora/sst2/dev.jsonl }
  recipe: eda
  seed: 1
  teachers: [demo]
  outputs: { temperatures: [1, 2, 4], topK: 2, encoding: fp16 }
  export: [{ format: parquet, out: out/sst2-eda }]

Example:
  distillery run JOB.yaml --db data/distillery.db
  distillery run JOB.yaml --shard 0/4 --parts /shared/parts/JOB   # one of 4 machines, no queue
  distillery run JOB.yaml --parts /shared/parts/JOB                # then merge and export
  distillery run JOB.yaml --parts /shared/parts/JOB --export-only  # or export from the parts, no store`,
    )
    .action(async (file: string, opts: RunOptions) => {
      let job = readJobFile(file);
      if (opts.shard !== undefined) {
        const s = shardSchema.safeParse(opts.shard);
        if (!s.success)
          throw new DistilleryError('INVALID_INPUT', `--shard ${opts.shard}: expected "i/n" with 0 <= i < n`);
        job = { ...job, shard: s.data };
      }
      if (opts.skipInvalid) job = { ...job, corpus: { ...job.corpus, skipInvalid: true } };
      if (opts.exportOnly) checkExportOnly(opts, job);
      const rt = await openRuntime(opts);
      try {
        if (opts.queue !== undefined) {
          if (job.shard)
            throw new DistilleryError('INVALID_INPUT', '--shard and --queue do not mix: the queue splits the job');
          const causalName = causalTeacherOf(job, rt.registry);
          if (causalName !== undefined) refuseCausalOnQueue(job, opts);
          const causal = causalName === undefined ? undefined : await causalTeacherFor(rt, job, causalName);
          const dataset = await runOnQueue(
            rt,
            job,
            file,
            { ...opts, queue: opts.queue, attempts: opts.attempts ?? '3', progress: opts.progress },
            causal,
          );
          if (opts.export && !opts.exportOnly) await runExports(rt, job, dataset);
          return;
        }
        if (opts.parts !== undefined) {
          const causal = causalTeacherOf(job, rt.registry);
          if (causal !== undefined) {
            if (opts.exportOnly)
              throw new DistilleryError('INVALID_INPUT', '--export-only: causal-LM parts are merged into the store', {
                hint: 'drop --export-only: distillery run JOB --parts DIR merges the parts, then exports',
              });
            if (job.shard) return await runCausalShardParts(rt, job, causal, job.shard, opts.parts, opts.progress);
            const dataset = await mergeCausalPartsDir(rt, job, causal, opts.parts);
            if (opts.export) await runExports(rt, job, dataset);
            return;
          }
          if (job.shard) return await runShardParts(rt, job, job.shard, opts.parts, opts.progress);
          if (opts.exportOnly) return await exportPartsDir(rt, job, opts.parts);
          const dataset = await mergePartsDir(rt, job, opts.parts);
          if (opts.export) await runExports(rt, job, dataset);
          return;
        }
        const result = await runJobCommand(rt, job, opts.progress);
        reportResult(result);
        if (result.status !== 'cancelled' && opts.export) await runExports(rt, job, result.dataset);
      } finally {
        await rt.close();
      }
    });
}

/** main.ts loads this module only when the command line names `run`. */
export { registerRun as register };
