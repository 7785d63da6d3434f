/** The dashboard's own JSON routes over real HTTP: corpora upload and listing, recipes, report errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { post, problemOf, startTestService, type TestService } from '../http/helpers.ts';

const SHARED = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');

describe('dashboard routes', () => {
  let svc: TestService;
  let corpora: string;
  before(async () => {
    corpora = mkdtempSync(path.join(tmpdir(), 'distillery-corpora-'));
    svc = await startTestService({ corporaDirs: [corpora, path.join(SHARED, 'data/corpora')] });
  });
  after(async () => {
    await svc.close();
    rmSync(corpora, { recursive: true, force: true });
  });

  test('the dashboard page and its modules are served at / without any outside reference', async () => {
    const html = await (await fetch(`${svc.url}/`)).text();
    assert.match(html, /<script type="module" src="\/app.js">/);
    for (const asset of ['/app.js', '/report-view.js', '/lib/charts.js', '/style.css']) {
      const res = await fetch(`${svc.url}${asset}`);
      assert.equal(res.status, 200, asset);
      assert.doesNotMatch(
        await res.text(),
        /https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
        `${asset} loads nothing from elsewhere`,
      );
    }
  });

  test('an uploaded corpus is listed with the public ones and runs as a job', async () => {
    const content = 'a warm and funny film\ndull, slow and far too long\n';
    const res = await post(`${svc.url}/v1/corpora`, { name: 'mine.txt', content });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { id: 'uploads/mine.txt', bytes: Buffer.byteLength(content) });
    assert.equal(readFileSync(path.join(corpora, 'uploads/mine.txt'), 'utf8'), content);
    const { corpora: list } = (await (await fetch(`${svc.url}/v1/corpora`)).json()) as { corpora: { id: string }[] };
    const ids = list.map((c) => c.id);
    assert.ok(ids.includes('uploads/mine.txt'));
    assert.ok(ids.includes('sst2/dev.jsonl'), 'public corpora are listed by the path jobs take');

    const job = await post(`${svc.url}/v1/jobs`, {
      dataset: 'mine',
      corpus: { path: 'uploads/mine.txt' },
      teachers: ['tiny'],
    });
    assert.equal(job.status, 202);
    const { id } = (await job.json()) as { id: string };
    let state = 'running';
    for (let i = 0; i < 100 && state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = ((await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { state: string }).state;
    }
    assert.equal(state, 'done');
    const report = (await (await fetch(`${svc.url}/v1/datasets/mine/report`)).json()) as {
      totals: { examples: number; labelled: number };
      ops: unknown[];
    };
    assert.deepEqual(report.totals, { examples: 2, originals: 2, augmentations: 0, labelled: 2 });
    assert.deepEqual(report.ops, []);
  });

  test('bad uploads and bad report queries are 4xx problems naming what to do', async () => {
    for (const name of ['../escape.txt', 'x/y.jsonl', 'noext', '.hidden.txt']) {
      const res = await post(`${svc.url}/v1/corpora`, { name, content: 'x' });
      assert.equal(res.status, 422, name);
      assert.match((await problemOf(res)).detail, /not allowed/);
    }
    assert.equal((await post(`${svc.url}/v1/corpora`, { name: 'a.txt' })).status, 422);
    assert.equal((await fetch(`${svc.url}/v1/datasets/nope/report`)).status, 404);
    assert.equal((await fetch(`${svc.url}/v1/datasets/nope/eval`)).status, 404);
    const bad = await fetch(`${svc.url}/v1/datasets/mine/report?offset=-1`);
    assert.equal(bad.status, 422);
    const noAtt = await fetch(`${svc.url}/v1/datasets/mine/examples/1/attention`);
    assert.equal(noAtt.status, 404);
    assert.match((await problemOf(noAtt)).detail, /no stored attentions/);
  });

  test('recipes offered are the ones a job can run', async () => {
    const { recipes } = (await (await fetch(`${svc.url}/v1/recipes`)).json()) as { recipes: string[] };
    assert.ok(recipes.includes('eda'));
    assert.ok(!recipes.includes('backtranslate'), 'back-translation needs a translation model jobs cannot load');
  });
});
