/** `distillery eval`: how good and how calibrated a teacher is on a labelled corpus, and which T to pick. */
import type { Command } from 'commander';
import { evaluateTeacher, formatEvalReport } from '../../eval/evaluate.ts';
import { StoreLabelCache } from '../../labels/index.ts';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../corpus-flags.ts';
import { openRuntime } from '../job-runtime.ts';

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      'Evaluate a teacher on a labelled corpus: accuracy, macro-F1, calibration (ECE, reliability table), temperature sweep',
    );
  addCorpusFlags(cmd)
    .requiredOption('--teacher <name>', 'teacher name from the config')
    .option('--bins <n>', 'confidence bins of the reliability table', (v) => Number.parseInt(v, 10), 10)
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--db <file>', 'SQLite store whose cache the teacher outputs go to (default from the config)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  distillery eval --input ../shared/data/corpora/sst2/dev.jsonl --teacher demo')
    .action(
      async (opts: CorpusFlags & { teacher: string; bins: number; config?: string; db?: string; json?: boolean }) => {
        // The logits go to the store's cache like any labelling: a later run on this corpus reuses them.
        const rt = await openRuntime(opts);
        try {
          const teacher = await rt.registry.get(opts.teacher);
          rt.store.registerTeacher(teacher.info);
          const cache = new StoreLabelCache(rt.store);
          const report = await evaluateTeacher(teacher, corpusOptions(opts), { bins: opts.bins, cache });
          console.log(opts.json ? JSON.stringify(report, null, 2) : formatEvalReport(report));
        } finally {
          await rt.close();
        }
      },
    );
}
