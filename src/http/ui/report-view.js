// The dataset report, drawn from its JSON; shared by the dashboard and
// the self-contained `distillery report` file.
import { h, fmt, pct } from './lib/dom.js';
import { groupedBarChart, heatmapCanvas, histogramChart } from './lib/charts.js';
import { entropyHistogram } from './lib/soft-labels.js';
import { renderSequenceReport } from './sequence-view.js';

function tokensView(row) {
  const changed = new Set(row.changed);
  return h(
    'span.tokens',
    {},
    row.tokens.map((t, i) => [t.pre, changed.has(i) ? h('mark', { title: `changed token ${i}` }, t.text) : t.text]),
  );
}

// SST-2 style gold labels are class indices; show the teacher's name for them too
function goldText(label, labels) {
  if (label === null || label === undefined) return '';
  const i = Number(label);
  return Number.isInteger(i) && labels[i] !== undefined && String(label) !== labels[i]
    ? `${label} (${labels[i]})`
    : String(label);
}

function softLabel(row, labels) {
  if (!row.probs) return h('span.muted', {}, 'not labelled');
  return h(
    'span.soft',
    {},
    row.probs.map((p, i) =>
      h(
        'span.prob',
        { title: labels[i] ?? String(i) },
        h('span.probbar', { style: `width:${Math.round(p * 60)}px` }),
        ` ${labels[i] ?? i} ${p.toFixed(3)}`,
      ),
    ),
  );
}

function attentionPanel(report, loadAttention) {
  const panel = h(
    'div.attention',
    { id: 'attention-panel' },
    h('p.muted', {}, 'Pick an example with “attention” in the table.'),
  );
  let current = null;
  const draw = (layerSel, headSel, view) => {
    const entry = current.layers.find((l) => l.layer === Number(layerSel.value)) ?? current.layers[0];
    const head = Math.min(Number(headSel.value), entry.heads - 1);
    const n = current.tokens;
    const vals = entry.data.slice(head * n * n, (head + 1) * n * n);
    view.replaceChildren(heatmapCanvas(vals, n, { labels: current.tokenLabels }));
  };
  const show = async (exampleId) => {
    panel.replaceChildren(h('p.muted', {}, 'loading…'));
    try {
      current = await loadAttention(exampleId);
    } catch (e) {
      panel.replaceChildren(h('p.error', {}, String(e.message ?? e)));
      return;
    }
    const layerSel = h(
      'select',
      { id: 'attn-layer' },
      current.layers.map((l) => h('option', { value: l.layer }, `layer ${l.layer}`)),
    );
    const headSel = h(
      'select',
      { id: 'attn-head' },
      Array.from({ length: current.layers[0]?.heads ?? 1 }, (_, i) => h('option', { value: i }, `head ${i}`)),
    );
    const view = h('div.heatmap-wrap');
    layerSel.addEventListener('change', () => draw(layerSel, headSel, view));
    headSel.addEventListener('change', () => draw(layerSel, headSel, view));
    panel.replaceChildren(
      h(
        'p',
        {},
        h('b', {}, current.exampleId),
        ': ',
        current.text,
        ` (${current.tokens} model tokens incl. special tokens${current.tokenLabels ? '' : '; axes show positions'})`,
      ),
      h('div.row', {}, layerSel, ' ', headSel),
      view,
    );
    draw(layerSel, headSel, view);
  };
  return { panel, show, enabled: report.attentionLayers.length > 0 };
}

function pagerView(report, pager) {
  const shown = report.examples.length;
  const from = pager?.offset ?? 0;
  const total = report.totals.originals;
  const info = h(
    'span.muted',
    {},
    shown === 0 ? 'no originals in this window' : `originals ${from + 1}–${from + shown} of ${total}`,
  );
  if (!pager) return h('p.pager', {}, info);
  const prev =
    from > 0 ? h('a', { href: pager.href(Math.max(0, from - pager.groups)), id: 'examples-prev' }, '← previous') : null;
  const next =
    from + shown < total ? h('a', { href: pager.href(from + pager.groups), id: 'examples-next' }, 'next →') : null;
  return h('p.pager', {}, prev, ' ', info, ' ', next);
}

function teacherPicker(report, pickTeacher) {
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

export function renderReport(root, report, { loadAttention, pager, pickTeacher } = {}) {
  if (report.kind === 'sequence') return renderSequenceReport(root, report, { pager, pickTeacher });
  const labels = report.teacher?.labels ?? [];
  const maxEntropy = Math.log(Math.max(2, labels.length));
  const t = report.totals;
  const entropyWrap = h('div', { id: 'entropy-chart' });
  const tValue = h('output', { id: 'temperature-value' }, '1.0');
  // whole temperatures use the server's histograms (every row, exact logits); in between, the page
  // recomputes from the logits it was sent (rounded to 1e-4, capped in count)
  const drawEntropy = (temp) => {
    tValue.textContent = temp.toFixed(1);
    const exact = report.entropy.find((e) => Math.abs(e.temperature - temp) < 1e-9);
    const hist = exact ? exact.histogram : entropyHistogram(report.logits, temp, 20, maxEntropy);
    const note = !exact && report.logitsSampled ? ` (first ${report.logits.length} rows)` : '';
    entropyWrap.replaceChildren(
      histogramChart(hist, {
        title: `Soft-label entropy at T = ${temp.toFixed(1)}${note}`,
        xLabel: 'entropy (nats)',
        color: '#8b5cf6',
      }),
    );
    entropyWrap.dataset.source = exact ? 'server' : 'page';
  };
  const slider = h('input', {
    id: 'temperature',
    type: 'range',
    min: 1,
    max: 5,
    step: 0.1,
    value: 1,
    oninput: (e) => drawEntropy(Number(e.target.value)),
  });

  const att = attentionPanel(report, loadAttention ?? (() => Promise.reject(new Error('no attention data'))));
  const exampleRows = report.examples.flatMap((g) =>
    [g.original, ...g.augmentations].map((row, k) =>
      h(
        `tr${k === 0 ? '.original' : '.augmented'}`,
        { 'data-id': row.id },
        h('td', {}, k === 0 ? row.id : `↳ ${row.ops.join('+')}`),
        h('td', {}, tokensView(row), row.textPair ? h('div.muted', {}, row.textPair) : null),
        h('td', {}, goldText(row.label, labels)),
        h('td', {}, row.predicted ?? ''),
        h('td', {}, softLabel(row, labels)),
        h(
          'td',
          {},
          row.hasAttentions && att.enabled ? h('button.link', { onclick: () => att.show(row.id) }, 'attention') : '',
        ),
      ),
    ),
  );

  const parts = [
    h('h2', {}, `Dataset ${report.dataset.id}`),
    h(
      'p.summary',
      { id: 'report-totals' },
      h('span', { 'data-k': 'examples' }, `${t.examples} examples`),
      ' · ',
      h('span', { 'data-k': 'originals' }, `${t.originals} originals`),
      ' · ',
      h('span', { 'data-k': 'augmentations' }, `${t.augmentations} augmentations`),
      ' · ',
      h('span', { 'data-k': 'labelled' }, `${t.labelled} labelled`),
      report.teacher
        ? ` · teacher ${report.teacher.name} (${report.teacher.fingerprint.slice(0, 12)}, ${report.teacher.device} ${report.teacher.dtype})`
        : ' · no teacher outputs',
    ),
    teacherPicker(report, pickTeacher),
    h(
      'div.charts',
      {},
      h(
        'div.card',
        { id: 'label-chart' },
        groupedBarChart(
          report.labels.map((l) => l.label),
          [
            { name: 'gold (originals)', values: report.labels.map((l) => l.gold) },
            { name: 'teacher (originals)', values: report.labels.map((l) => l.teacherOriginals) },
            { name: 'teacher (all)', values: report.labels.map((l) => l.teacherAll) },
          ],
          { title: 'Label distribution' },
        ),
      ),
      h(
        'div.card',
        { id: 'confidence-chart' },
        histogramChart(report.confidence, {
          title: 'Teacher confidence (max p, T = 1)',
          xLabel: 'confidence',
          color: '#10b981',
        }),
      ),
      h('div.card', {}, entropyWrap, h('label.slider', {}, 'Temperature ', slider, ' T = ', tValue)),
    ),
    h('h3', {}, 'Per augmentation op'),
    h(
      'table.ops',
      { id: 'ops-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['op', 'count', 'dropped as duplicates', 'teacher label flipped', 'mean KL(parent‖aug)'].map((c) =>
            h('th', {}, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        report.ops.map((o) =>
          h(
            'tr',
            { 'data-op': o.op },
            h('td', {}, o.op),
            h('td.num', {}, o.count),
            h('td.num', {}, pct(o.duplicateShare)),
            h('td.num', {}, pct(o.flippedShare)),
            h('td.num', {}, fmt(o.meanKl, 4)),
          ),
        ),
      ),
    ),
    report.ops.length === 0 ? h('p.muted', {}, 'No augmentations in this dataset.') : null,
    report.ops.some((o) => o.duplicateShare === null)
      ? h(
          'p.muted',
          {},
          'n/a: the job that made this dataset did not record per-op duplicate counts (datasets made before the runner stored them).',
        )
      : null,
    h('h3', { id: 'examples' }, 'Examples'),
    pagerView(report, pager),
    h(
      'table.examples',
      { id: 'examples-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['id / op', 'text (changed words highlighted)', 'gold', 'teacher', 'soft label (T = 1)', ''].map((c) =>
            h('th', {}, c),
          ),
        ),
      ),
      h('tbody', {}, exampleRows),
    ),
    h('h3', {}, 'Attention'),
    att.enabled
      ? att.panel
      : h(
          'p.muted',
          { id: 'attention-panel' },
          'No attentions stored for this dataset (run a job with outputs.attentions and a teacher that exposes them).',
        ),
  ];
  root.replaceChildren(...parts.filter((p) => p !== null));
  drawEntropy(1);
}
