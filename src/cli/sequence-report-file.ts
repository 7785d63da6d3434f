/** `distillery report` for a causal-LM dataset: the dashboard's sequence report (stats + token strips) in one HTML file. */
import path from 'node:path';
import type { Config } from '../config.ts';
import { reportHtml } from '../report/report-html.ts';
import { buildSequenceStats } from '../report/sequence-report.ts';
import type { SequenceReport } from '../report/sequence-report-types.ts';
import { sequenceSamples, withTokenTexts } from '../report/sequence-samples.ts';
import { tokenTexter } from '../report/token-labels.ts';
import type { Store } from '../store/index.ts';

/** The strips a file can hold without paging (the dashboard pages 8 at a time; a file has no server). */
export const MAX_FILE_STRIPS = 64;

export async function sequenceReportHtml(
  store: Store,
  config: Config,
  dataset: string,
  opts: { teacher?: string; rows: number },
): Promise<{ html: string; sequences: number }> {
  const stats = buildSequenceStats(store, dataset, opts.teacher);
  const rows = Math.min(opts.rows, MAX_FILE_STRIPS);
  const samples = stats.teacher
    ? sequenceSamples(store, dataset, { teacher: stats.teacher.fingerprint, offset: 0, rows })
    : [];
  // token texts from the configured teacher's tokenizer folder (the model itself is not loaded)
  const texter = tokenTexter((name) => {
    const t = config.teachers.find((c) => c.name === name);
    return t?.path === undefined ? undefined : path.resolve(config.modelsDir, t.path);
  });
  const tokenTexts = stats.teacher ? await withTokenTexts(samples, stats.teacher.name, texter) : false;
  const report: SequenceReport = { kind: 'sequence', ...stats, samples, sampleOffset: 0, tokenTexts };
  const html = reportHtml({ report, evaluation: null, attentions: {}, generated: new Date().toISOString() });
  return { html, sequences: stats.totals.sequences };
}
