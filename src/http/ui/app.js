// The dashboard: hash-routed pages over the JSON API of the same server.
import { h } from './lib/dom.js';
import { KEY, NeedsKey, api, table } from './lib/api.js';
import { jobsPage } from './jobs-page.js';
import { renderReport } from './report-view.js';
import { renderEvaluation } from './evaluation-view.js';

const main = document.getElementById('main');

async function teachersPage() {
  const { teachers, default: def } = await api('/v1/teachers');
  main.replaceChildren(
    h('h2', {}, 'Teachers'),
    table(
      'teachers-table',
      ['name', 'state', 'fingerprint', 'device', 'dtype', 'labels', 'outputs available'],
      teachers.map((t) => {
        const i = t.info;
        const outputs =
          i?.task === 'text-generation'
            ? 'per token: top-k log-probs, samples, next-token log-prob / rank, entropy' +
              (i.outputs?.hidden ? ', hidden' : '')
            : i
              ? [
                  'logits',
                  'probs@T',
                  'top-k',
                  i.hiddenLayers > 0 ? `hidden (${i.hiddenLayers})` : null,
                  i.attentionLayers > 0 ? `attentions (${i.attentionLayers})` : null,
                ]
                  .filter(Boolean)
                  .join(', ')
              : 'load it to see';
        return h(
          'tr',
          {},
          h('td', {}, t.name, t.name === def ? h('span.tag', {}, 'default') : ''),
          h('td', {}, t.state, t.error ? h('div.error', {}, t.error) : ''),
          h('td.mono', {}, i?.fingerprint?.slice(0, 16) ?? '—'),
          h('td', {}, t.device),
          h('td', {}, t.dtype),
          h('td', {}, i?.labels?.join(', ') ?? '—'),
          h('td', {}, outputs),
        );
      }),
    ),
  );
}

async function datasetsPage() {
  const { datasets } = await api('/v1/datasets');
  // the listing is light; counts come from each dataset's own record
  const details = await Promise.all(datasets.map((d) => api(`/v1/datasets/${encodeURIComponent(d.id)}`)));
  main.replaceChildren(
    h('h2', {}, 'Datasets'),
    datasets.length === 0
      ? h('p.muted', {}, 'No datasets yet: start a job.')
      : table(
          'datasets-table',
          ['id', 'created', 'examples', 'originals', 'augmentations', 'labelled', ''],
          details.map((d) =>
            h(
              'tr',
              { 'data-id': d.id },
              h('td', {}, h('a', { href: `#/report/${d.id}` }, d.id)),
              h('td', {}, d.created.replace('T', ' ').slice(0, 19)),
              // a causal-LM dataset has corpus rows (some refused), no augmentations, no classifier evaluation
              h('td.num', {}, d.sequences ? d.sequences.rows : d.stats.examples),
              h('td.num', {}, d.sequences ? d.sequences.rows : d.stats.originals),
              h('td.num', {}, d.sequences ? 0 : d.stats.augmentations),
              h(
                'td.num',
                {},
                d.sequences
                  ? d.sequences.rows - d.sequences.refused
                  : d.stats.teachers.map((t) => t.labelled).join(' / ') || '0',
              ),
              h(
                'td',
                {},
                h('a', { href: `#/report/${d.id}` }, 'report'),
                d.sequences ? null : [' · ', h('a', { href: `#/eval/${d.id}` }, 'teacher evaluation')],
              ),
            ),
          ),
        ),
  );
}

const GROUPS = 25;
// token strips per page of a causal-LM dataset's report
const STRIP_ROWS = 8;

async function reportPage(id, offset, teacher) {
  const tq = teacher ? `&teacher=${encodeURIComponent(teacher)}` : '';
  const report = await api(
    `/v1/datasets/${encodeURIComponent(id)}/report?offset=${offset}&groups=${GROUPS}&rows=${STRIP_ROWS}${tq}`,
  );
  const root = h('div', { id: 'report' });
  // the evaluation measures a classifier against gold labels
  const evalLink =
    report.kind === 'sequence' ? null : h('p', {}, h('a', { href: `#/eval/${id}` }, 'teacher evaluation →'));
  main.replaceChildren(...[evalLink, root].filter(Boolean));
  renderReport(root, report, {
    loadAttention: (exampleId) =>
      api(
        `/v1/datasets/${encodeURIComponent(id)}/examples/${encodeURIComponent(exampleId)}/attention${tq.replace('&', '?')}`,
      ),
    pager: {
      offset,
      groups: GROUPS,
      rows: STRIP_ROWS,
      href: (o) => `#/report/${encodeURIComponent(id)}/${o}${teacher ? `/${encodeURIComponent(teacher)}` : ''}`,
    },
    pickTeacher: (fp) => {
      location.hash = `#/report/${encodeURIComponent(id)}/0/${encodeURIComponent(fp)}`;
    },
  });
  if (offset > 0) document.getElementById(report.kind === 'sequence' ? 'strips' : 'examples')?.scrollIntoView();
}

async function evalPage(id) {
  const ev = await api(`/v1/datasets/${encodeURIComponent(id)}/eval`);
  const root = h('div', { id: 'evaluation' });
  main.replaceChildren(h('p', {}, h('a', { href: `#/report/${id}` }, '← dataset report')), root);
  renderEvaluation(root, ev);
}

async function route() {
  const [, page = 'jobs', arg, arg2, arg3] = location.hash.split('/');
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.getAttribute('href') === `#/${page}`);
  main.replaceChildren(h('p.muted', {}, 'loading…'));
  try {
    if (page === 'teachers') await teachersPage();
    else if (page === 'datasets') await datasetsPage();
    else if (page === 'report' && arg)
      await reportPage(
        decodeURIComponent(arg),
        Math.max(0, Number.parseInt(arg2 ?? '0', 10) || 0),
        arg3 ? decodeURIComponent(arg3) : undefined,
      );
    else if (page === 'eval' && arg) await evalPage(decodeURIComponent(arg));
    else await jobsPage(main);
  } catch (e) {
    if (e instanceof NeedsKey) {
      loginPage(e.message);
      document.body.dataset.ready = 'login';
      return;
    }
    main.replaceChildren(h('p.error', { id: 'page-error' }, e.message ?? String(e)));
  }
  signOutLink();
  document.body.dataset.ready = page;
}

function loginPage(problem) {
  sessionStorage.removeItem(KEY);
  signOutLink();
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, size: 40 });
  main.replaceChildren(
    h(
      'form',
      {
        id: 'login-form',
        onsubmit: (ev) => {
          ev.preventDefault();
          sessionStorage.setItem(KEY, input.value.trim());
          route();
        },
      },
      h('h2', {}, 'API key'),
      h(
        'p',
        {},
        'This server needs an API key. It is kept in this browser tab only (session storage) until you close it.',
      ),
      problem ? h('p.error', { id: 'login-error' }, problem) : null,
      h('label', {}, 'key ', input),
      ' ',
      h('button', { type: 'submit', id: 'login-submit' }, 'Sign in'),
    ),
  );
  input.focus();
}

function signOutLink() {
  document.getElementById('sign-out')?.remove();
  if (!sessionStorage.getItem(KEY)) return;
  document.querySelector('header').append(
    h(
      'a',
      {
        id: 'sign-out',
        href: '#/jobs',
        onclick: (ev) => {
          ev.preventDefault();
          sessionStorage.removeItem(KEY);
          route();
        },
      },
      'sign out',
    ),
  );
}

window.addEventListener('hashchange', route);
route();
