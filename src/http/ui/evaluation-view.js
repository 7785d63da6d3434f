// The teacher evaluation page: accuracy, macro-F1 and calibration (reliability diagram) against gold labels.
import { h, fmt } from './lib/dom.js';
import { lineChart } from './lib/charts.js';

export function renderEvaluation(root, ev) {
  root.replaceChildren(
    h('h2', {}, `Teacher ${ev.teacher} on ${ev.dataset}`),
    h(
      'p.summary',
      { id: 'eval-summary' },
      `${ev.examples} labelled originals · accuracy ${fmt(ev.accuracy)} · macro-F1 ${fmt(ev.macroF1)} · ECE ${fmt(ev.ece, 4)}`,
    ),
    h(
      'div.charts',
      {},
      h(
        'div.card',
        { id: 'reliability-chart' },
        lineChart(
          [
            {
              name: 'accuracy per confidence bin',
              points: ev.reliability.filter((b) => b.count > 0).map((b) => [b.confidence, b.accuracy]),
            },
          ],
          { title: 'Reliability diagram', xLabel: 'mean confidence', yMax: 1, xMin: 0, xMax: 1, diagonal: true },
        ),
      ),
      h(
        'div.card',
        { id: 'sweep-chart' },
        lineChart(
          [
            { name: 'mean entropy', points: ev.sweep.map((p) => [p.temperature, p.meanEntropy]) },
            { name: 'mean KL to gold', points: ev.sweep.map((p) => [p.temperature, p.meanKlToGold]) },
          ],
          { title: 'Temperature sweep', xLabel: 'T', xMin: 1, xMax: 5 },
        ),
      ),
    ),
    h(
      'table.ops',
      { id: 'sweep-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['T', 'mean entropy', 'mean KL to gold'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        ev.sweep.map((p) =>
          h(
            'tr',
            {},
            h('td.num', {}, p.temperature),
            h('td.num', {}, fmt(p.meanEntropy, 4)),
            h('td.num', {}, fmt(p.meanKlToGold, 4)),
          ),
        ),
      ),
    ),
    h(
      'table.ops',
      { id: 'reliability-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['confidence bin', 'count', 'mean confidence', 'accuracy'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        ev.reliability.map((b) =>
          h(
            'tr',
            {},
            h('td', {}, `${b.lo.toFixed(1)}–${b.hi.toFixed(1)}`),
            h('td.num', {}, b.count),
            h('td.num', {}, fmt(b.confidence)),
            h('td.num', {}, fmt(b.accuracy)),
          ),
        ),
      ),
    ),
  );
}
