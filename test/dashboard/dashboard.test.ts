/**
 * The dashboard in a real browser against the real service (demo and tiny BERT teachers, temp SQLite):
 * upload a corpus and start a job from the form, watch it finish, open the report and the teacher
 * evaluation, and check that the charts rendered and that the numbers shown are the API's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { loadConfig, REPO_ROOT } from '../../src/config.ts';
import { startService, type Service } from '../../src/service.ts';
import type { DatasetReport } from '../../src/report/report-types.ts';
import type { TeacherEvaluation } from '../../src/report/teacher-evaluation.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';

const SHARED = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Entropy histogram written out here, independently of the page's code: softmax(z / T), -sum p log p, equal bins. */
function entropyCounts(logits: number[][], t: number, bins: number, max: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const z of logits) {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp((v - m) / t));
    const sum = e.reduce((a, b) => a + b, 0);
    const h = -e.reduce((acc, v) => acc + (v / sum) * Math.log(v / sum), 0);
    counts[Math.min(bins - 1, Math.max(0, Math.floor(h / (max / bins))))]!++;
  }
  return counts;
}

describe('dashboard in Chromium', () => {
  let svc: Service;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let corpusFile: string;
  let dir: string;
  const pageErrors: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'distillery-dashboard-'));
    corpusFile = path.join(dir, 'sst2-head.jsonl');
    const lines = readFileSync(path.join(SHARED, 'data/corpora/sst2/dev.jsonl'), 'utf8').split('\n').slice(0, 30);
    writeFileSync(corpusFile, `${lines.join('\n')}\n`);
    const config = loadConfig(
      {
        port: 0,
        db: path.join(dir, 'test.db'),
        patch: {
          logLevel: 'silent',
          sharedDir: SHARED,
          // uploads land in the first folder; the public corpora stay pickable from the second
          corporaDirs: [path.join(dir, 'corpora'), path.join(SHARED, 'data/corpora')],
          teachers: [
            { name: 'demo', path: path.join(REPO_ROOT, 'models/demo-sentiment') },
            { name: 'tiny', path: path.join(REPO_ROOT, 'models/tiny-bert-classifier') },
          ],
        },
      },
      {},
    );
    svc = await startService(config, { logger: pino({ level: 'silent' }), graceMs: 1000 });
    const chromium = await launchChromium();
    closeBrowser = chromium.close;
    page = await chromium.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });

  after(async () => {
    await closeBrowser?.();
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${svc.url}${p}`);
    assert.equal(res.status, 200, `${p}: ${res.status}`);
    return (await res.json()) as T;
  };

  async function open(hash: string, ready: string): Promise<void> {
    await page.goto(`${svc.url}/#/${hash}`);
    await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 20_000 });
    const err = await page.$('#page-error');
    assert.equal(err, null, `page error: ${err ? await err.textContent() : ''}`);
  }

  async function startJobFromForm(dataset: string, teachers: string[], attentions: boolean): Promise<string> {
    await open('jobs', 'jobs');
    await page.fill('input[name="dataset"]', dataset);
    await page.setInputFiles('#upload', corpusFile);
    await page.waitForSelector('#form-message.ok', { timeout: 10_000 });
    assert.equal(await page.inputValue('#corpus'), 'uploads/sst2-head.jsonl');
    await page.selectOption('select[name="recipe"]', 'eda');
    for (const box of await page.$$('input[name="teacher"]')) {
      const want = teachers.includes((await box.getAttribute('value'))!);
      if ((await box.isChecked()) !== want) await box.click();
    }
    if (attentions) await page.check('input[name="attentions"]');
    await page.fill('input[name="chunkSize"]', '8');
    await page.click('#start-job');
    await page.waitForSelector('#form-message[data-job], #form-message.error', { timeout: 20_000 });
    assert.equal(await page.getAttribute('#form-message', 'class'), 'ok', (await page.textContent('#form-message'))!);
    const jobId = (await page.getAttribute('#form-message', 'data-job'))!;
    // the row follows the job (polling GET /v1/jobs/:id) until it is done
    await page.waitForSelector(`tr[data-job="${jobId}"][data-state="done"]`, { timeout: 45_000 });
    return jobId;
  }

  test('start a job from the form, watch it finish, read its report', async () => {
    const jobId = await startJobFromForm('sst2-head', ['demo'], false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-jobs.png'), fullPage: true });
    const job = await api<{ state: string; result: { records: number; examples: number } }>(`/v1/jobs/${jobId}`);
    assert.equal(job.state, 'done');
    assert.equal(job.result.records, 30);
    const progress = await page.textContent(`tr[data-job="${jobId}"] .progress`);
    assert.match(progress!, new RegExp(`30/30 records · ${job.result.examples} examples`));

    await page.click(`tr[data-job="${jobId}"] a`);
    await page.waitForSelector('body[data-ready="report"]', { timeout: 20_000 });
    const report = await api<DatasetReport>('/v1/datasets/sst2-head/report');
    assert.ok(report.totals.augmentations > 0 && report.totals.labelled === report.totals.examples);

    // totals as the API says
    for (const k of ['examples', 'originals', 'augmentations', 'labelled'] as const) {
      assert.equal(await page.textContent(`#report-totals [data-k="${k}"]`), `${report.totals[k]} ${k}`);
    }
    // the charts rendered: bars with the API's counts
    const labelBars = await page.$$eval('#label-chart rect.bar', (els) =>
      els.map((e) => Number(e.getAttribute('data-count'))),
    );
    assert.deepEqual(
      labelBars,
      report.labels.flatMap((l) => [l.gold, l.teacherOriginals, l.teacherAll]),
    );
    assert.ok(labelBars.some((c) => c > 0));
    const confBars = await page.$$eval('#confidence-chart rect.bar', (els) =>
      els.map((e) => Number(e.getAttribute('data-count'))),
    );
    assert.deepEqual(confBars, report.confidence.counts);
    const entropyAt = async () =>
      page.$$eval('#entropy-chart rect.bar', (els) => els.map((e) => Number(e.getAttribute('data-count'))));
    assert.deepEqual(await entropyAt(), report.entropy[0]!.histogram.counts);

    // the temperature slider: whole T shows the server's histogram, T in between is recomputed in the page
    const slide = (t: string) =>
      page.$eval(
        '#temperature',
        (el, v) => {
          (el as HTMLInputElement).value = v;
          el.dispatchEvent(new Event('input'));
        },
        t,
      );
    await slide('3');
    assert.equal(await page.textContent('#temperature-value'), '3.0');
    assert.deepEqual(await entropyAt(), report.entropy.find((e) => e.temperature === 3)!.histogram.counts);
    await slide('2.5');
    assert.equal(await page.getAttribute('#entropy-chart', 'data-source'), 'page');
    const want = entropyCounts(report.logits, 2.5, 20, Math.log(report.labels.length));
    const moved = (await entropyAt()).reduce((acc, c, i) => acc + Math.abs(c - want[i]!), 0);
    assert.ok(moved <= 1, `entropy histogram at T=2.5 is ${moved} off the one computed here from the served logits`);
    assert.equal(
      want.reduce((a, b) => a + b, 0),
      report.totals.labelled,
    );
    await slide('3');

    // per-op table: counts, flip shares and KL as served
    for (const o of report.ops) {
      const cells = await page.$$eval(`#ops-table tr[data-op="${o.op}"] td`, (els) => els.map((e) => e.textContent));
      assert.deepEqual(cells, [
        o.op,
        String(o.count),
        o.duplicateShare === null ? 'n/a' : pct(o.duplicateShare),
        pct(o.flippedShare),
        o.meanKl.toFixed(4),
      ]);
    }
    // examples: originals beside their augmentations, changed words highlighted
    const first = report.examples[0]!;
    assert.equal(await page.$$eval(`#examples-table tr[data-id="${first.original.id}"]`, (e) => e.length), 1);
    const marked = report.examples.flatMap((g) => g.augmentations).reduce((n, a) => n + a.changed.length, 0);
    assert.equal(await page.$$eval('#examples-table mark', (e) => e.length), marked);
    assert.ok(marked > 0);
    await page.screenshot({
      path: path.join(ARTIFACTS, 'dashboard-report.png'),
      clip: { x: 0, y: 0, width: 1360, height: 1100 },
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-report-full.png'), fullPage: true });

    // the examples table pages through the originals, 25 at a time
    assert.equal(await page.textContent('.pager .muted'), `originals 1–25 of ${report.totals.originals}`);
    await page.click('#examples-next');
    await page.waitForSelector('#examples-prev', { timeout: 10_000 });
    assert.equal(await page.textContent('.pager .muted'), `originals 26–30 of ${report.totals.originals}`);
    const page2 = await api<DatasetReport>('/v1/datasets/sst2-head/report?offset=25&groups=25');
    assert.deepEqual(
      await page.$$eval('#examples-table tr.original', (rows) => rows.map((r) => r.getAttribute('data-id'))),
      page2.examples.map((g) => g.original.id),
    );

    // teacher evaluation: reliability diagram and temperature sweep from the pipeline's eval metrics
    await open('eval/sst2-head', 'eval');
    const ev = await api<TeacherEvaluation>('/v1/datasets/sst2-head/eval');
    assert.equal(ev.examples, 30);
    assert.match(
      (await page.textContent('#eval-summary'))!,
      new RegExp(`accuracy ${ev.accuracy.toFixed(3)} · macro-F1 ${ev.macroF1.toFixed(3)} · ECE ${ev.ece.toFixed(4)}`),
    );
    assert.equal(
      await page.$$eval('#reliability-chart circle.point', (e) => e.length),
      ev.reliability.filter((b) => b.count > 0).length,
    );
    assert.equal(await page.$$eval('#sweep-chart circle.point', (e) => e.length), 2 * ev.sweep.length);
    const sweepRows = await page.$$eval('#sweep-table tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent)),
    );
    assert.deepEqual(
      sweepRows,
      ev.sweep.map((p) => [String(p.temperature), p.meanEntropy.toFixed(4), p.meanKlToGold.toFixed(4)]),
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-eval.png'), fullPage: true });
  });

  test('attention heatmap with layer and head select, for a job that stored attentions', async () => {
    // an ensemble: both teachers label the dataset; the report is about one at a time
    await startJobFromForm('sst2-head-attn', ['tiny', 'demo'], true);
    const tinyFp = (
      await api<{ teachers: { name: string; info?: { fingerprint: string } }[] }>('/v1/teachers')
    ).teachers.find((t) => t.name === 'tiny')!.info!.fingerprint;
    await open(`report/sst2-head-attn/0/${tinyFp}`, 'report');
    const report = await api<DatasetReport>(`/v1/datasets/sst2-head-attn/report?teacher=${tinyFp}`);
    assert.deepEqual(report.teachers.map((t) => t.name).sort(), ['demo', 'tiny']);
    assert.equal(report.teacher?.name, 'tiny');
    assert.match((await page.textContent('#report-totals'))!, /teacher tiny/);
    assert.ok(report.attentionLayers.length > 1);
    const id = report.examples[0]!.original.id;
    await page.click(`#examples-table tr[data-id="${id}"] button`);
    await page.waitForSelector('#attention-panel canvas.heatmap', { timeout: 10_000 });
    const att = await api<{
      tokens: number;
      tokenLabels?: string[];
      layers: { layer: number; heads: number; data: number[] }[];
    }>(`/v1/datasets/sst2-head-attn/examples/${id}/attention?teacher=${tinyFp}`);
    // the axes carry the teacher's own tokens, special tokens included
    assert.equal(att.tokenLabels?.length, att.tokens);
    assert.equal(att.tokenLabels![0], '[CLS]');
    assert.equal(att.tokenLabels!.at(-1), '[SEP]');
    assert.deepEqual(
      await page.$$eval('#attn-layer option', (o) => o.map((x) => Number((x as HTMLOptionElement).value))),
      att.layers.map((l) => l.layer),
    );
    assert.equal(await page.$$eval('#attn-head option', (o) => o.length), att.layers[0]!.heads);
    const paint = () =>
      page.$eval('#attention-panel canvas.heatmap', (c) => {
        const cv = c as HTMLCanvasElement;
        const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        let sum = 0;
        for (let i = 0; i < px.length; i += 4) sum += px[i]!;
        return { w: cv.width, h: cv.height, sum };
      });
    const a = await paint();
    assert.ok(a.w > att.tokens * 10 && a.h > att.tokens * 10);
    await page.selectOption('#attn-layer', String(att.layers.at(-1)!.layer));
    await page.selectOption('#attn-head', '1');
    const b = await paint();
    assert.notEqual(a.sum, b.sum, 'another layer/head draws another map');
    await page.$eval('#attention-panel', (el) => el.scrollIntoView());
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-attention.png'), fullPage: false });

    // the teacher picker switches the whole report to the other teacher
    const demoFp = report.teachers.find((t) => t.name === 'demo')!.fingerprint;
    await page.selectOption('#report-teacher', demoFp);
    await page.waitForFunction(
      () => document.querySelector('#report-totals')?.textContent?.includes('teacher demo'),
      undefined,
      { timeout: 10_000 },
    );
    const demoReport = await api<DatasetReport>(`/v1/datasets/sst2-head-attn/report?teacher=${demoFp}`);
    assert.deepEqual(
      await page.$$eval('#confidence-chart rect.bar', (els) => els.map((e) => Number(e.getAttribute('data-count')))),
      demoReport.confidence.counts,
    );
    assert.deepEqual(
      await page
        .$$eval('#label-chart text', (els) => els.map((e) => e.textContent))
        .then((t) => t.filter((x) => x === 'NEGATIVE' || x === 'POSITIVE')),
      ['NEGATIVE', 'POSITIVE'],
    );
  });

  test('teachers and datasets pages list what the API lists', async () => {
    await open('teachers', 'teachers');
    const teachers = await api<{ teachers: { name: string; info?: { fingerprint: string } }[] }>('/v1/teachers');
    const rows = await page.$$eval('#teachers-table tbody tr', (r) => r.map((x) => x.textContent ?? ''));
    assert.equal(rows.length, teachers.teachers.length);
    for (const t of teachers.teachers) {
      const row = rows.find((r) => r.startsWith(t.name))!;
      assert.ok(t.info && row.includes(t.info.fingerprint.slice(0, 16)), `${t.name} shows its fingerprint`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-teachers.png') });
    await open('datasets', 'datasets');
    const { datasets } = await api<{ datasets: { id: string }[] }>('/v1/datasets');
    assert.equal(datasets.length, 2);
    for (const d of datasets) {
      const { stats } = await api<{ stats: { examples: number } }>(`/v1/datasets/${d.id}`);
      assert.equal(
        await page.textContent(`#datasets-table tr[data-id="${d.id}"] td:nth-child(3)`),
        String(stats.examples),
      );
    }
    assert.deepEqual(pageErrors, []);
  });

  test('`distillery report` writes one self-contained HTML file that draws the same report offline', async () => {
    const out = path.join(dir, 'report.html');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'src/cli/main.ts'),
        'report',
        'sst2-head-attn',
        '--db',
        svc.config.db,
        '--out',
        out,
      ],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      },
    );
    assert.match(stdout, /wrote .*report\.html/);
    const html = readFileSync(out, 'utf8');
    assert.doesNotMatch(
      html,
      /<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
      'nothing is loaded from elsewhere (the SVG namespace is a name, not a fetch)',
    );
    const report = await api<DatasetReport>('/v1/datasets/sst2-head-attn/report');

    const offline = await page.context().newPage();
    const requests: string[] = [];
    offline.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    offline.on('pageerror', (e) => errors.push(e.message));
    await offline.goto(pathToFileURL(out).href);
    await offline.waitForSelector('body[data-ready="report"]', { timeout: 10_000 });
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')),
      [],
    );
    for (const k of ['examples', 'originals', 'augmentations', 'labelled'] as const) {
      assert.equal(await offline.textContent(`#report-totals [data-k="${k}"]`), `${report.totals[k]} ${k}`);
    }
    assert.deepEqual(
      await offline.$$eval('#confidence-chart rect.bar', (els) => els.map((e) => Number(e.getAttribute('data-count')))),
      report.confidence.counts,
    );
    assert.deepEqual(
      await offline.$$eval('#entropy-chart rect.bar', (els) => els.map((e) => Number(e.getAttribute('data-count')))),
      report.entropy[0]!.histogram.counts,
    );
    assert.ok(
      (await offline.$$('#reliability-chart circle.point')).length > 0,
      'the teacher evaluation is in the file too',
    );
    await offline.click(`#examples-table tr[data-id="${report.examples[0]!.original.id}"] button`);
    await offline.waitForSelector('#attention-panel canvas.heatmap', { timeout: 5_000 });
    await offline.screenshot({
      path: path.join(ARTIFACTS, 'report-file.png'),
      clip: { x: 0, y: 0, width: 1360, height: 1000 },
    });
    await offline.close();
  });
});
