// The dashboard: hash-routed pages over the JSON API of the same server.
import { h, fmt } from './lib/dom.js';
import { distributedJobsSection } from './distributed-jobs.js';
import { renderEvaluation, renderReport } from './report-view.js';

const main = document.getElementById('main');

// With API keys configured, the key the user types is kept in this tab's sessionStorage only: never in
// localStorage, a cookie or the URL, so it is gone when the tab closes and no other site can send it.
const KEY = 'distillery-api-key';

class NeedsKey extends Error {}

async function api(path, init = {}) {
  const key = sessionStorage.getItem(KEY);
  const headers = { ...init.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) throw new NeedsKey(key ? 'that API key was not accepted' : '');
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok)
    throw new Error(
      body?.detail ? `${body.detail}${body.hint ? ` (${body.hint})` : ''}` : `${res.status} ${res.statusText}`,
    );
  return body;
}
const postJson = (path, body) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function table(id, headers, rows) {
  return h(
    'table.ops',
    { id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

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

const FINISHED = ['done', 'up-to-date', 'cancelled', 'failed'];
const PENDING = ['queued', 'running'];

/** "queued (#2)" while waiting for a free slot, else the state */
function statusText(job) {
  return job.state === 'queued' && job.queuePosition ? `queued (#${job.queuePosition})` : job.state;
}

function progressLine(job) {
  const p = job.progress;
  const total = p?.totalRecords ?? 0;
  const frac = total > 0 ? Math.min(1, p.records / total) : job.state === 'done' ? 1 : 0;
  const eta =
    p && !FINISHED.includes(job.state) && p.etaSeconds !== undefined && p.etaSeconds !== null
      ? ` · ETA ${Math.round(p.etaSeconds)} s`
      : '';
  return h(
    'div.progress',
    { 'data-state': job.state },
    h('div.bar', {}, h('div.fill', { style: `width:${(frac * 100).toFixed(1)}%` })),
    h(
      'span',
      {},
      p ? `${p.records}/${total || '?'} records · ${p.examples} examples · ${fmt(p.rate, 1)} rec/s${eta}` : '',
    ),
  );
}

function jobRow(job) {
  const done = ['done', 'up-to-date'].includes(job.state);
  return h(
    'tr',
    { 'data-job': job.id, 'data-state': job.state },
    h('td.mono', { title: job.id }, job.id.slice(0, 8)),
    h('td', {}, done ? h('a', { href: `#/report/${job.dataset}` }, job.dataset) : job.dataset),
    h('td', {}, job.submitted.replace('T', ' ').slice(0, 19)),
    h('td.status', {}, statusText(job), job.error ? h('div.error', {}, job.error.message) : ''),
    h('td', {}, progressLine(job)),
    h(
      'td',
      {},
      PENDING.includes(job.state)
        ? h('button.link', { onclick: () => api(`/v1/jobs/${job.id}`, { method: 'DELETE' }) }, 'cancel')
        : '',
    ),
  );
}

let pollTimer = null;
const PENDING_ROWS = PENDING.map((s) => `tr[data-state="${s}"]`).join(', ');

/** Poll queued and running jobs twice a second, replacing their rows, until none is left or the page changes. */
function poll(tbody) {
  clearTimeout(pollTimer);
  const tick = async () => {
    if (!document.body.contains(tbody)) return;
    const pending = [...tbody.querySelectorAll(PENDING_ROWS)].map((r) => r.dataset.job);
    for (const id of pending) {
      const v = await api(`/v1/jobs/${id}`);
      tbody.querySelector(`tr[data-job="${id}"]`)?.replaceWith(jobRow(v));
    }
    if (tbody.querySelector(PENDING_ROWS)) pollTimer = setTimeout(tick, 500);
  };
  pollTimer = setTimeout(tick, 300);
}

async function jobsPage() {
  const [{ jobs }, { corpora }, { recipes }, { teachers }, distributed] = await Promise.all([
    api('/v1/jobs'),
    api('/v1/corpora'),
    api('/v1/recipes'),
    api('/v1/teachers'),
    distributedJobsSection(api),
  ]);
  jobs.sort((a, b) => b.submitted.localeCompare(a.submitted));
  const tbody = h('tbody', {}, jobs.map(jobRow));
  const corpusSel = h(
    'select',
    { name: 'corpus', id: 'corpus' },
    corpora.map((c) => h('option', { value: c.id }, `${c.id} (${(c.bytes / 1024).toFixed(0)} KiB)`)),
  );
  const message = h('p', { id: 'form-message' });
  const upload = h('input', { type: 'file', id: 'upload', accept: '.jsonl,.csv,.tsv,.txt' });
  upload.addEventListener('change', async () => {
    const file = upload.files?.[0];
    if (!file) return;
    try {
      const saved = await postJson('/v1/corpora', { name: file.name, content: await file.text() });
      if (![...corpusSel.options].some((o) => o.value === saved.id))
        corpusSel.append(h('option', { value: saved.id }, `${saved.id} (${(saved.bytes / 1024).toFixed(0)} KiB)`));
      corpusSel.value = saved.id;
      message.textContent = `uploaded ${saved.id}`;
      message.className = 'ok';
    } catch (e) {
      message.textContent = e.message;
      message.className = 'error';
    }
  });
  const form = h(
    'form',
    { id: 'job-form' },
    h(
      'label',
      {},
      'Dataset id ',
      h('input', { name: 'dataset', required: true, pattern: '[a-z0-9][a-z0-9._\\-]{0,47}', placeholder: 'sst2-eda' }),
    ),
    h('label', {}, 'Corpus ', corpusSel),
    h('label', {}, 'or upload ', upload),
    h(
      'label',
      {},
      'Recipe ',
      h(
        'select',
        { name: 'recipe' },
        h('option', { value: '' }, 'none (label only)'),
        recipes.map((r) => h('option', { value: r, selected: r === 'eda' }, r)),
      ),
    ),
    h('label', {}, 'Seed ', h('input', { name: 'seed', type: 'number', value: 1 })),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Teachers'),
      teachers.map((t, i) =>
        h(
          'label.inline',
          {},
          h('input', { type: 'checkbox', name: 'teacher', value: t.name, checked: i === 0 }),
          ` ${t.name}`,
        ),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Outputs'),
      h('label', {}, 'Temperatures ', h('input', { name: 'temperatures', value: '1, 2' })),
      h('label', {}, 'Top-k ', h('input', { name: 'topK', type: 'number', min: 1, placeholder: 'off' })),
      h('label.inline', {}, h('input', { type: 'checkbox', name: 'attentions' }), ' attentions (all layers)'),
      h(
        'label',
        {},
        'Encoding ',
        h(
          'select',
          { name: 'encoding' },
          ['fp32', 'fp16', 'int8'].map((e) => h('option', { value: e }, e)),
        ),
      ),
    ),
    h('label', {}, 'Chunk size ', h('input', { name: 'chunkSize', type: 'number', min: 1, value: 256 })),
    h('button', { type: 'submit', id: 'start-job' }, 'Start job'),
    message,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const outputs = {
      temperatures: String(f.get('temperatures'))
        .split(',')
        .map((x) => Number(x.trim()))
        .filter((x) => x > 0),
      encoding: f.get('encoding'),
      ...(f.get('topK') ? { topK: Number(f.get('topK')) } : {}),
      ...(f.get('attentions') ? { attentions: { layers: 'all' } } : {}),
    };
    const body = {
      dataset: f.get('dataset'),
      corpus: { path: f.get('corpus') },
      recipe: f.get('recipe') || null,
      seed: Number(f.get('seed')),
      teachers: f.getAll('teacher'),
      outputs,
      chunkSize: Number(f.get('chunkSize')),
    };
    try {
      const job = await postJson('/v1/jobs', body);
      message.textContent = job.state === 'queued' ? `queued ${job.id} (#${job.queuePosition})` : `started ${job.id}`;
      message.className = 'ok';
      message.dataset.job = job.id;
      tbody.prepend(jobRow(job));
      poll(tbody);
    } catch (e) {
      message.textContent = e.message;
      message.className = 'error';
    }
  });
  main.replaceChildren(
    h('h2', {}, 'Jobs'),
    table('jobs-table', ['job', 'dataset', 'submitted', 'state', 'progress', ''], []),
    distributed ?? '',
    h('h3', {}, 'Start a job'),
    form,
  );
  main.querySelector('#jobs-table tbody').replaceWith(tbody);
  poll(tbody);
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
    else await jobsPage();
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
