/** `distillery report DATASET --out report.html`: the dashboard's dataset report as one offline HTML file. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import { buildDatasetReport } from '../../report/dataset-report.ts';
import { exampleAttention, type ExampleAttention } from '../../report/example-attention.ts';
import { reportHtml } from '../../report/report-html.ts';
import { evaluateTeacher, type TeacherEvaluation } from '../../report/teacher-evaluation.ts';
import { tokenLabeler, withTokenLabels } from '../../report/token-labels.ts';
import { isSequenceDataset } from '../../report/sequence-report.ts';
import { openStore } from '../../store/index.ts';
import { sequenceReportHtml } from '../sequence-report-file.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 500)
    throw new DistilleryError('INVALID_INPUT', `--examples must be an integer 1-500, got "${v}"`);
  return n;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'Write a dataset report (labels, confidence, entropy vs temperature, per-op stats, examples, attention, teacher evaluation) as one self-contained HTML file.',
    )
    .argument('<dataset>', 'dataset id in the store')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--db <file>', 'SQLite database file (default data/distillery.db)')
    .option('--config <file>', 'YAML or JSON config file')
    .option('--teacher <name>', "teacher name or fingerprint (default: the dataset's first)")
    .option(
      '--examples <n>',
      'originals shown with their augmentations; for a causal-LM dataset, token strips (default 25, at most 64)',
      positiveInt,
    )
    .addHelpText(
      'after',
      `
Example:
  distillery report sst2-eda --out report.html
  distillery report sst2-eda --db data/distillery.db --examples 50 --out /tmp/sst2-eda.html`,
    )
    .action(
      async (
        dataset: string,
        opts: { out: string; db?: string; config?: string; teacher?: string; examples?: number },
      ) => {
        const config = loadConfig({ db: opts.db, configFile: opts.config });
        const store = openStore(config.db);
        try {
          if (isSequenceDataset(store, dataset)) {
            const { html, sequences } = await sequenceReportHtml(store, config, dataset, {
              ...(opts.teacher ? { teacher: opts.teacher } : {}),
              rows: opts.examples ?? 25,
            });
            writeFileSync(opts.out, html);
            process.stdout.write(
              `wrote ${path.resolve(opts.out)} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${sequences} sequences)\n`,
            );
            return;
          }
          const report = buildDatasetReport(store, dataset, {
            ...(opts.teacher ? { teacher: opts.teacher } : {}),
            ...(opts.examples ? { exampleGroups: opts.examples } : {}),
          });
          let evaluation: TeacherEvaluation | null = null;
          try {
            evaluation = evaluateTeacher(store, dataset, opts.teacher);
          } catch (e) {
            // a corpus without gold labels has no evaluation; the report is still whole
            if (!isDistilleryError(e) || e.code !== 'INVALID_INPUT') throw e;
          }
          const attentions: Record<string, ExampleAttention> = {};
          if (report.attentionLayers.length > 0) {
            // token strings from the configured teacher's tokenizer folder (the model itself is not loaded)
            const labeler = tokenLabeler((name) => {
              const t = config.teachers.find((c) => c.name === name);
              return t?.path === undefined ? undefined : path.resolve(config.modelsDir, t.path);
            });
            for (const row of report.examples.flatMap((g) => [g.original, ...g.augmentations])) {
              if (row.hasAttentions)
                attentions[row.id] = await withTokenLabels(
                  exampleAttention(store, dataset, row.id, opts.teacher),
                  labeler,
                );
            }
          }
          const html = reportHtml({ report, evaluation, attentions, generated: new Date().toISOString() });
          writeFileSync(opts.out, html);
          process.stdout.write(
            `wrote ${path.resolve(opts.out)} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${report.totals.examples} examples)\n`,
          );
        } finally {
          store.close();
        }
      },
    );
}

/** main.ts loads this module only when the command line names `report`. */
export { registerReport as register };
