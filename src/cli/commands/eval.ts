/** `distillery eval`: how good and how calibrated a teacher is on a labelled corpus, and which T to pick. */
import type { Command } from 'commander';
import { DistilleryError } from '../../core/errors.ts';
import { evaluateTeacher, formatEvalReport } from '../../eval/evaluate.ts';
import { evaluateCausalTeacher, formatSequenceEvalReport } from '../../eval/sequence-eval.ts';
import { StoreLabelCache } from '../../labels/index.ts';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../corpus-flags.ts';
import { openRuntime } from '../job-runtime.ts';

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      'Evaluate a teacher on a labelled corpus: accuracy, macro-F1, calibration (ECE, reliability table), temperature sweep; a causal LM: perplexity and next-token accuracy on the scored tokens',
    );
  addCorpusFlags(cmd)
    .requiredOption('--teacher <name>', 'teacher name from the config')
    .option('--bins <n>', 'confidence bins of the reliability table', (v) => Number.parseInt(v, 10), 10)
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--db <file>', 'SQLite store whose cache the teacher outputs go to (default from the config)')
    .option('--json', 'print the report as JSON')
    .option('--scope <scope>', 'causal LMs: scored tokens, response (default) or all')
    .addHelpText(
      'after',
      `
Examples:
  distillery eval --input ../shared/data/corpora/sst2/dev.jsonl --teacher demo
  distillery eval --config data/demo-lm.config.yaml --input data/demo-chat.jsonl --teacher demo-lm`,
    )
    .action(
      async (
        opts: CorpusFlags & {
          teacher: string;
          bins: number;
          config?: string;
          db?: string;
          json?: boolean;
          scope?: string;
        },
      ) => {
        // The logits go to the store's cache like any labelling: a later run on this corpus reuses them.
        const rt = await openRuntime(opts);
        try {
          if (rt.registry.isCausal(opts.teacher)) {
            const lm = await rt.registry.getCausal(opts.teacher);
            if (opts.scope !== undefined && opts.scope !== 'all' && opts.scope !== 'response')
              throw new DistilleryError('INVALID_INPUT', `--scope ${opts.scope}: expected response or all`);
            const scope = opts.scope === 'all' ? ('all' as const) : ('response' as const);
            const report = await evaluateCausalTeacher(lm, rt.store, corpusOptions(opts), { scope });
            console.log(opts.json ? JSON.stringify(report, null, 2) : formatSequenceEvalReport(report));
            return;
          }
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

/** main.ts loads this module only when the command line names `eval`. */
export { registerEval as register };
