// The report of a causal-LM dataset (JSON kind "sequence"): per-position entropy and top-k mass
// histograms, next-token figures, and token strips coloured by the teacher's log-prob of each token.
// Token texts are attacker-controlled: they only ever become text nodes and attribute values.
import { h, fmt, pct } from './lib/dom.js';
import { histogramChart } from './lib/charts.js';

// log-probs at or below this are drawn fully red
const LOGPROB_FLOOR = -8;

/** Background of a token whose teacher log-prob is `lp`: green (likely) through yellow to red (surprising). */
export function logprobColor(lp) {
  const t = Math.min(1, Math.max(0, lp / LOGPROB_FLOOR));
  return `hsl(${Math.round(120 * (1 - t))}, 75%, 78%)`;
}

// whitespace made visible, so a strip shows where spaces and line breaks are
const visibleWhitespace = (text) => text.replace(/\n/g, '↵').replace(/\t/g, '⇥');
const tokenQuoted = (tok) => (tok.text === undefined ? `#${tok.id}` : JSON.stringify(tok.text));

function tokenTooltip(tok) {
  const lines = [`${tokenQuoted(tok)} (id ${tok.id})`];
  if (tok.logprob !== undefined)
    lines.push(`log p = ${fmt(tok.logprob)} (p = ${fmt(Math.exp(tok.logprob))}), rank ${tok.rank}`);
  if (tok.entropy !== undefined) lines.push(`entropy ${fmt(tok.entropy)} nats`);
  if (tok.alternatives?.length)
    lines.push(
      `teacher's top: ${tok.alternatives.map((a) => `${tokenQuoted(a)} ${fmt(Math.exp(a.logprob))}`).join(', ')}`,
    );
  if (tok.logprob === undefined && tok.alternatives === undefined) lines.push('not scored');
  return lines.join('\n');
}

function tokenView(tok) {
  const scored = tok.logprob !== undefined;
  return h(
    `span.tok${scored ? '' : '.unscored'}`,
    {
      title: tokenTooltip(tok),
      style: scored ? `background:${logprobColor(tok.logprob)}` : undefined,
      'data-token-id': tok.id,
      'data-logprob': scored ? tok.logprob : undefined,
      'data-rank': tok.rank,
    },
    tok.text === undefined ? `#${tok.id} ` : visibleWhitespace(tok.text),
  );
}

function sampleView(s) {
  const note = s.refused
    ? `refused (${s.refused.field}): ${s.refused.message}`
    : !s.labelled
      ? 'not labelled'
      : `${s.length} tokens${s.truncated ? ', truncated to the context' : ''}${s.strip.length < s.length ? `, first ${s.strip.length} shown` : ''}`;
  return h(
    'div.sample',
    { 'data-id': s.id },
    h('div.muted', {}, h('b', {}, s.id), ` · ${note}`),
    h('div.strip', { 'data-tokens': s.strip.length }, s.strip.map(tokenView)),
  );
}

function stripLegend() {
  const stops = [0, -1, -2, -4, -6, -8];
  return h(
    'p.legend',
    { id: 'strip-legend' },
    'teacher log p of each token: ',
    stops.map((lp) => h('span.tok', { style: `background:${logprobColor(lp)}` }, lp === -8 ? '≤ −8' : String(lp))),
    ' ',
    h('span.tok.unscored', {}, 'not scored'),
  );
}

function stripPager(report, pager) {
  const from = report.sampleOffset;
  const shownRows = report.samples.length;
  const info = h(
    'span.muted',
    {},
    shownRows === 0 ? 'no rows in this window' : `rows ${from + 1}–${from + shownRows} of ${report.totals.sequences}`,
  );
  if (!pager) return h('p.pager', {}, info);
  const prev =
    from > 0 ? h('a', { href: pager.href(Math.max(0, from - pager.rows)), id: 'strips-prev' }, '← previous') : null;
  const next =
    from + shownRows < report.totals.sequences
      ? h('a', { href: pager.href(from + pager.rows), id: 'strips-next' }, 'next →')
      : null;
  return h('p.pager', {}, prev, ' ', info, ' ', next);
}

function sequenceTeacherPicker(report, pickTeacher) {
  if (!pickTeacher || report.teachers.length < 2) return null;
  const sel = h(
    'select',
    { id: 'report-teacher' },
    report.teachers.map((t) =>
      h('option', { value: t.fingerprint, selected: t.fingerprint === report.teacher?.fingerprint }, t.name),
    ),
  );
  sel.addEventListener('change', () => pickTeacher(sel.value));
  return h('label.slider', {}, 'Teacher ', sel);
}

export function renderSequenceReport(root, report, { pager, pickTeacher } = {}) {
  const t = report.totals;
  const s = report.summary;
  const spec = report.teacher?.spec;
  const temp = spec ? `T = ${spec.temperature}` : '';
  const missing = (what, option) => h('p.muted', {}, `No ${what}: the teacher's outputs did not include ${option}.`);
  root.replaceChildren(
    ...[
      h('h2', {}, `Dataset ${report.dataset.id}`),
      h(
        'p.summary',
        { id: 'seq-totals' },
        h('span', { 'data-k': 'sequences' }, `${t.sequences} rows`),
        ' · ',
        h('span', { 'data-k': 'labelled' }, `${t.labelled} labelled`),
        ' · ',
        h('span', { 'data-k': 'positions' }, `${t.positions} scored positions`),
        ' · ',
        h('span', { 'data-k': 'tokens' }, `${t.tokens} tokens`),
        t.refused > 0 ? h('span', { 'data-k': 'refused' }, ` · ${t.refused} refused`) : '',
        t.truncated > 0 ? ` · ${t.truncated} truncated` : '',
        report.teacher
          ? ` · teacher ${report.teacher.name} (${report.teacher.fingerprint.slice(0, 12)}, ${temp}${spec.topK ? `, top-${spec.topK}` : ''})`
          : ' · no teacher outputs',
      ),
      h(
        'p.summary',
        { id: 'seq-summary' },
        h('span', { 'data-k': 'perplexity' }, `teacher perplexity ${fmt(s.perplexity, 2)}`),
        ' · ',
        h('span', { 'data-k': 'meanEntropy' }, `mean entropy ${fmt(s.meanEntropy)} nats`),
        ' · ',
        h('span', { 'data-k': 'top1Share' }, `actual token is the teacher's top-1: ${pct(s.top1Share)}`),
        ' · ',
        h('span', { 'data-k': 'meanMass' }, `mean top-k mass ${fmt(s.meanMass)}`),
      ),
      sequenceTeacherPicker(report, pickTeacher),
      h(
        'div.charts',
        {},
        h(
          'div.card',
          { id: 'seq-entropy-chart' },
          report.entropy
            ? histogramChart(report.entropy, {
                title: `Per-position entropy (${temp})`,
                xLabel: 'entropy (nats)',
                color: '#8b5cf6',
              })
            : missing('entropy', 'target: true'),
        ),
        h(
          'div.card',
          { id: 'seq-mass-chart' },
          report.mass
            ? histogramChart(report.mass, {
                title: `Top-${spec?.topK} probability mass captured (1 − tail)`,
                xLabel: 'mass',
                color: '#10b981',
              })
            : missing('top-k mass', 'topK'),
        ),
      ),
      h('h3', { id: 'strips' }, 'Token strips'),
      stripLegend(),
      report.tokenTexts ? null : h('p.muted', {}, 'Token texts need the teacher configured on this server; ids shown.'),
      stripPager(report, pager),
      h('div', { id: 'sequence-samples' }, report.samples.map(sampleView)),
    ].filter((p) => p !== null),
  );
}
