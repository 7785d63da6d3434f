/**
 * The dataset report as ONE self-contained HTML file: the dashboard's own report code (src/http/ui),
 * its styles and the report JSON inlined, so it opens offline from disk and draws the same charts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExampleAttention } from './example-attention.ts';
import type { DatasetReport } from './report-types.ts';
import type { SequenceReport } from './sequence-report-types.ts';
import type { TeacherEvaluation } from './teacher-evaluation.ts';

const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../http/ui');
/** In dependency order; each becomes part of one inline module once its imports and exports are stripped. */
const MODULES = [
  'lib/dom.js',
  'lib/soft-labels.js',
  'lib/charts.js',
  'sequence-view.js',
  'report-view.js',
  'evaluation-view.js',
];

export interface ReportBundle {
  /** a classifier dataset's report, or a causal-LM dataset's (stats and the first token strips) */
  report: DatasetReport | SequenceReport;
  evaluation: TeacherEvaluation | null;
  /** attention maps of the examples in the table, by example id */
  attentions: Record<string, ExampleAttention>;
  generated: string;
}

/** Module code without its `import` lines and `export` keywords: the modules share one scope inline. */
export function inlineModule(source: string): string {
  return source.replace(/^import\s[^;]*;\s*$/gm, '').replace(/^export\s+(?=(async\s+)?function|const|let|class)/gm, '');
}

/** JSON safe inside a <script> element ("</script>" and U+2028/2029 cannot end or break it). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const BOOT = `
const bundle = JSON.parse(document.getElementById('report-data').textContent);
renderReport(document.getElementById('report'), bundle.report, {
  loadAttention: async (id) => {
    const a = bundle.attentions[id];
    if (!a) throw new Error('attention of ' + id + ' is not in this file');
    return a;
  },
});
if (bundle.evaluation) renderEvaluation(document.getElementById('evaluation'), bundle.evaluation);
document.body.dataset.ready = 'report';
`;

export function reportHtml(bundle: ReportBundle): string {
  const css = readFileSync(path.join(UI_DIR, 'style.css'), 'utf8');
  const js = MODULES.map((m) => `// ---- ${m}\n${inlineModule(readFileSync(path.join(UI_DIR, m), 'utf8'))}`).join('\n');
  const title = `distillery report: ${bundle.report.dataset.id}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>
${css}
</style>
</head>
<body>
<header><h1>distillery</h1><span class="muted">report generated ${escapeHtml(bundle.generated)}</span></header>
<main>
<div id="report"></div>
<div id="evaluation"></div>
</main>
<script type="application/json" id="report-data">${scriptJson(bundle)}</script>
<script type="module">
${js}
${BOOT}
</script>
</body>
</html>
`;
}
