/**
 * A causal-LM dataset's report in a real browser against the real service: the dataset is labelled by
 * models/demo-lm through the sequence labeler into the service's SQLite file, then the dashboard must
 * show the per-position entropy and top-k mass plots with the API's counts and one token strip per row,
 * each with as many tokens as the stored sequence, coloured where the teacher scored them, with token
 * texts from the teacher's tokenizer shown as text, never as markup.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { loadConfig, REPO_ROOT } from '../../src/config.ts';
import type { SequenceOutputSpec } from '../../src/core/sequence-types.ts';
import type { SequenceReport } from '../../src/report/sequence-report-types.ts';
import { startService, type Service } from '../../src/service.ts';
import { openStore } from '../../src/store/index.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import { makeSequenceDataset, textRows } from '../helpers/sequence-dataset.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';

const SHARED = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
const LM_DIR = path.join(REPO_ROOT, 'models/demo-lm');
const SPEC: SequenceOutputSpec = { temperature: 1, topK: 16, target: true };
const XSS = '<img src=x onerror="window.__xss=1"> </script><b id="bold">bold</b>';

describe('causal-LM dataset report in Chromium', () => {
  let svc: Service;
  let dir: string;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const pageErrors: string[] = [];
  /** tokens and scored positions of each row, read from the store before the service opens it */
  const stored = new Map<string, { tokens: number; scored: Set<number> }>();
  /** every row id in corpus order, the refused one included */
  const order: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'distillery-seq-dashboard-'));
    const db = path.join(dir, 'test.db');
    const store = openStore(db);
    const teacher = await CausalTeacher.load({ name: 'demo-lm', dir: LM_DIR, graphCacheDir: path.join(dir, 'graphs') });
    try {
      const lines = readFileSync(path.join(SHARED, 'data/corpora/sst2/dev.jsonl'), 'utf8').split('\n');
      const rows = [{ id: 'xss', input: { text: XSS } }, ...textRows(lines, 11), { id: 'bad', input: { text: '' } }];
      order.push(...rows.map((r) => r.id));
      const report = await makeSequenceDataset(store, teacher, 'lm-demo', rows, SPEC, { scope: 'all' });
      assert.equal(report.errors.length, 1);
      for (const ref of report.refs) {
        const t = store.sequences.get(teacher.info.fingerprint, ref.hash, SPEC)!;
        stored.set(ref.id, { tokens: t.tokenIds.length, scored: new Set(t.positions) });
      }
    } finally {
      await teacher.dispose();
      store.close();
    }
    const config = loadConfig(
      {
        port: 0,
        db,
        patch: {
          logLevel: 'silent',
          sharedDir: SHARED,
          corporaDirs: [path.join(dir, 'corpora')],
          teachers: [{ name: 'demo-lm', path: LM_DIR }],
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${svc.url}${p}`);
    assert.equal(res.status, 200, `${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const bars = (sel: string) =>
    page.$$eval(`${sel} rect.bar`, (els) => els.map((e) => Number(e.getAttribute('data-count'))));

  test('entropy and mass plots, and a coloured token strip per row', async () => {
    await page.goto(`${svc.url}/#/report/lm-demo`);
    await page.waitForSelector('body[data-ready="report"]', { timeout: 20_000 });
    assert.equal(await page.$('#page-error'), null);
    const report = await api<SequenceReport>('/v1/datasets/lm-demo/report?rows=8');
    assert.equal(report.kind, 'sequence');
    assert.equal(report.tokenTexts, true);
    const positions = [...stored.values()].reduce((a, s) => a + s.scored.size, 0);
    assert.equal(report.totals.positions, positions);

    const entropy = await bars('#seq-entropy-chart');
    assert.deepEqual(entropy, report.entropy!.counts);
    assert.equal(
      entropy.reduce((a, b) => a + b, 0),
      positions,
    );
    const mass = await bars('#seq-mass-chart');
    assert.deepEqual(mass, report.mass!.counts);
    assert.equal(
      mass.reduce((a, b) => a + b, 0),
      positions,
    );
    assert.equal(await page.textContent('#seq-totals [data-k="sequences"]'), `${order.length} rows`);
    assert.equal(await page.textContent('#seq-totals [data-k="refused"]'), ' · 1 refused');

    const strips = await page.$$eval('#sequence-samples .sample', (els) =>
      els.map((e) => ({
        id: e.getAttribute('data-id')!,
        tokens: e.querySelectorAll('.strip > span.tok').length,
        coloured: [...e.querySelectorAll('.strip > span.tok')].flatMap((t, i) =>
          (t as HTMLElement).style.background.startsWith('rgb') ? [i] : [],
        ),
      })),
    );
    assert.equal(strips.length, 8);
    for (const s of strips) {
      const want = stored.get(s.id)!;
      assert.equal(s.tokens, want.tokens, `${s.id}: one span per stored token`);
      // token i is coloured exactly when the position before it is scored
      const expected = Array.from({ length: want.tokens }, (_, i) => i).filter((i) => want.scored.has(i - 1));
      assert.deepEqual(s.coloured, expected, s.id);
      assert.ok(expected.length > 0);
    }
    const tip = await page.getAttribute('.sample[data-id="r0"] .strip > span.tok:nth-child(3)', 'title');
    assert.match(tip!, /log p = -?\d+\.\d{3} \(p = \d\.\d{3}\), rank \d+/);
    assert.match(tip!, /teacher's top: ".*" \d\.\d{3}, /);

    // attacker-controlled token text stays text
    // (after the tokenizer's BOS, which has no row before it)
    const xssTokens = await page.$$eval('.sample[data-id="xss"] .strip > span.tok', (els) =>
      els.map((e) => e.textContent),
    );
    assert.equal(xssTokens.slice(1).join(''), XSS);
    assert.equal(await page.$$eval('#sequence-samples img, #bold', (e) => e.length), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-sequence-report.png'), fullPage: true });

    // the strips page through the rows, 8 at a time
    await page.click('#strips-next');
    await page.waitForSelector('#strips-prev', { timeout: 10_000 });
    assert.equal(await page.textContent('.pager .muted'), `rows 9–${order.length} of ${order.length}`);
    assert.deepEqual(
      await page.$$eval('#sequence-samples .sample', (els) => els.map((e) => e.getAttribute('data-id'))),
      order.slice(8),
    );
    // the refused row says why, and has no strip
    assert.match((await page.textContent('.sample[data-id="bad"]'))!, /refused \(text\): /);
    assert.equal(await page.$$eval('.sample[data-id="bad"] span.tok', (e) => e.length), 0);
    assert.deepEqual(pageErrors, []);
  });

  test('the datasets page lists the causal-LM dataset with its rows and a report link', async () => {
    await page.goto(`${svc.url}/#/datasets`);
    await page.waitForSelector('body[data-ready="datasets"]', { timeout: 20_000 });
    assert.equal(await page.$('#page-error'), null);
    const cells = await page.$$eval('#datasets-table tr[data-id="lm-demo"] td', (els) => els.map((e) => e.textContent));
    assert.equal(cells[2], String(order.length));
    assert.equal(cells[5], String(order.length - 1), 'labelled: every row but the refused one');
    assert.equal(cells[6], 'report', 'no classifier evaluation link');
    await page.click('#datasets-table tr[data-id="lm-demo"] td:first-child a');
    await page.waitForSelector('#seq-entropy-chart svg', { timeout: 20_000 });
  });

  test('the report route: teacher by name or fingerprint, bad queries named', async () => {
    const byName = await api<SequenceReport>('/v1/datasets/lm-demo/report?teacher=demo-lm&offset=2&rows=3');
    assert.deepEqual(
      byName.samples.map((s) => s.id),
      order.slice(2, 5),
    );
    assert.equal(byName.sampleOffset, 2);
    const byFp = await api<SequenceReport>(
      `/v1/datasets/lm-demo/report?teacher=${byName.teacher!.fingerprint}&offset=2&rows=3`,
    );
    assert.deepEqual(byFp, byName);
    const tooMany = await fetch(`${svc.url}/v1/datasets/lm-demo/report?rows=65`);
    assert.equal(tooMany.status, 422);
    assert.match(((await tooMany.json()) as { detail: string }).detail, /0-64/);
    const nobody = await fetch(`${svc.url}/v1/datasets/lm-demo/report?teacher=nobody`);
    assert.equal(nobody.status, 404);
    assert.match(((await nobody.json()) as { detail: string }).detail, /no teacher "nobody"/);
    assert.equal((await fetch(`${svc.url}/v1/datasets/missing/report`)).status, 404);
  });
});
