// The jobs page's section for distributed jobs (run --queue): GET /v1/distributed-jobs, polled every
// second while the section is on the page, since workers anywhere change it.
import { h, fmt } from './lib/dom.js';

const seconds = (s) => (s === null || s === undefined ? '—' : `${Math.round(s)} s`);

function chunkCell(s) {
  const c = s.chunks;
  const frac = c.total > 0 ? c.done / c.total : 0;
  return h(
    'div.progress',
    { 'data-done': c.done, 'data-running': c.running, 'data-failed': c.failed, 'data-total': c.total },
    h('div.bar', {}, h('div.fill', { style: `width:${(frac * 100).toFixed(1)}%` })),
    h(
      'span.chunks',
      {},
      `${c.done}/${c.total} done · ${c.running} running · ${c.waiting} waiting · ${c.failed} failed`,
    ),
  );
}

function workersCell(s) {
  if (s.workers.length === 0) return h('span.muted', {}, 'no chunk finished yet');
  return h(
    'ul.workers',
    {},
    s.workers.map((w) =>
      h(
        'li',
        { 'data-worker': w.worker, 'data-chunks': w.chunks },
        h('span.mono', {}, w.worker),
        `: ${w.chunks} chunks · ${w.examples} examples · ${fmt(w.examplesPerSecond, 1)} ex/s`,
      ),
    ),
  );
}

function jobRow(s) {
  const why = [s.error, ...s.failures.map((f) => `chunk ${f.chunk}: ${f.reason}`)].filter(Boolean);
  return h(
    'tr',
    { 'data-job': s.id, 'data-state': s.state },
    h('td.mono', {}, s.id),
    h('td', {}, s.state === 'done' ? h('a', { href: `#/report/${s.dataset}` }, s.dataset) : s.dataset),
    h('td.status', {}, s.state, why.length ? h('div.error', {}, why.join('; ')) : ''),
    h('td', {}, chunkCell(s)),
    h('td', {}, workersCell(s)),
    h('td.eta', {}, s.state === 'running' ? seconds(s.etaSeconds) : '—'),
  );
}

function summary(o) {
  if (!o.up) return h('p.error', { id: 'queue-summary', 'data-up': 'false' }, o.error ?? 'the queue is not reachable');
  const d = o.depth;
  return h(
    'p',
    { id: 'queue-summary', 'data-up': 'true', 'data-workers': o.workers.length, 'data-waiting': d.waiting },
    `${o.workers.length} workers connected`,
    o.workers.length ? ` (${o.workers.join(', ')})` : '',
    ` · chunk queue: ${d.waiting} waiting, ${d.active} active, ${d.delayed} delayed, ${d.failed} failed`,
  );
}

function render(section, o) {
  const rows = o.jobs.map(jobRow);
  section.replaceChildren(
    h('h3', {}, 'Distributed jobs (queue)'),
    summary(o),
    rows.length === 0
      ? h('p.muted', {}, 'No distributed job on this Redis: start one with distillery run JOB.yaml --queue URL.')
      : h(
          'table.ops',
          { id: 'distributed-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['job', 'dataset', 'state', 'chunks', 'workers (throughput)', 'ETA'].map((c) => h('th', {}, c)),
            ),
          ),
          h('tbody', {}, rows),
        ),
  );
}

let timer = null;

/** The section, or null when the server has no queue configured. */
export async function distributedJobsSection(api) {
  const first = await api('/v1/distributed-jobs');
  if (!first.configured) return null;
  const section = h('section', { id: 'distributed-jobs' });
  render(section, first);
  clearTimeout(timer);
  const tick = async () => {
    if (!document.body.contains(section)) return;
    try {
      render(section, await api('/v1/distributed-jobs'));
    } catch (e) {
      section.querySelector('#queue-summary')?.replaceWith(h('p.error', { id: 'queue-summary' }, e.message));
    }
    timer = setTimeout(tick, 1000);
  };
  timer = setTimeout(tick, 1000);
  return section;
}
