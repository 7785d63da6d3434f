// The jobs page: the job list (polled while jobs run), the distributed jobs, and the form that submits a job.
import { h, fmt } from './lib/dom.js';
import { api, postJson, table } from './lib/api.js';
import { distributedJobsSection } from './distributed-jobs.js';

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

export async function jobsPage(main) {
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
