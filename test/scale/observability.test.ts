/**
 * Watching a distributed job from outside, with real processes: a redis-server, a coordinator, one
 * `distillery worker` (stopped with SIGSTOP inside its second chunk, so "running" and an ETA are there to
 * see), the HTTP service with `queue` configured, and the dashboard in Chromium. GET /v1/jobs/:id,
 * GET /v1/distributed-jobs, /metrics and the jobs page must all tell the same state, and the worker's JSON
 * log lines must carry the job and chunk ids.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { tempDir } from '../helpers/temp-dir.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { startTestService, type TestService } from '../http/helpers.ts';
import { ARTIFACTS, launchChromium } from '../dashboard/browser.ts';
import {
  GUARD_MS,
  TEST_TIMEOUT_MS,
  killLeftovers,
  processTails,
  startCli,
  startWorker,
  stopWorker,
  within,
  writeCorpus,
  writeJob,
  type LogLine,
} from './helpers.ts';

const dir = tempDir('distillery-observe-');
let redis: RedisServer;
let svc: TestService;
let browser: { close(): Promise<void> } | undefined;
let page: Page;

before(async () => {
  redis = await startRedis();
  svc = await startTestService({ queue: redis.url });
  const chromium = await launchChromium();
  browser = chromium;
  page = await chromium.context.newPage();
});
after(async () => {
  killLeftovers();
  await browser?.close();
  await svc?.close();
  await redis?.stop();
});

interface Status {
  id: string;
  state: string;
  chunks: { total: number; done: number; running: number; waiting: number; failed: number };
  workers: { worker: string; chunks: number; examples: number; examplesPerSecond: number }[];
  etaSeconds: number | null;
}
interface Overview {
  configured: boolean;
  up: boolean;
  depth: Record<string, number>;
  workers: string[];
  jobs: Status[];
}

const getJson = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${svc.url}${p}`);
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return (await res.json()) as T;
};

/** The value of one series in the /metrics text, by name and exact label set. */
async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const key = want ? `${name}{${want}}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? undefined : Number(line.slice(key.length + 1));
}

/** Polls `f` (HTTP reads of the service) until it gives a value, within the scale tests' guard. */
async function until<T>(what: string, f: () => Promise<T | undefined>, ms = GUARD_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up after ${ms / 1000} s waiting for ${what}\n${processTails()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test(
  'a distributed job seen through GET /v1/jobs/:id, /v1/distributed-jobs, /metrics, the dashboard and the worker logs',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const idle = await getJson<Overview>('/v1/distributed-jobs');
    assert.deepEqual([idle.configured, idle.up, idle.jobs.length, idle.workers.length], [true, true, 0, 0]);
    assert.equal(await metric('distillery_queue_up'), 1);

    const job = writeJob(dir, 'observed', writeCorpus(dir, 60), 20);
    const coordinator = startCli(['run', job, '--db', path.join(dir, 'coord.db'), '--queue', redis.url]);
    // no worker yet: all three chunks wait
    const queued = await until('the job in Redis', async () => {
      const o = await getJson<Overview>('/v1/distributed-jobs');
      return o.jobs[0]?.chunks.waiting === 3 ? o.jobs[0] : undefined;
    });
    const id = queued.id;
    assert.deepEqual(queued.chunks, { total: 3, done: 0, running: 0, waiting: 3, failed: 0 });
    assert.equal(await metric('distillery_queue_chunks', { state: 'waiting' }), 3);
    assert.equal(await metric('distillery_distributed_job_chunks', { job: id, state: 'waiting' }), 3);

    // the worker is frozen as it starts its second chunk: one done, one running, one waiting
    let frozen = false;
    const w = startWorker(redis.url, path.join(dir, 'worker.db'), 60_000, (l, child) => {
      if (l.event === 'chunk-start' && l.chunk === 1 && !frozen) {
        frozen = true;
        child.kill('SIGSTOP');
      }
    });
    const mid = await until('chunk 1 running', async () => {
      if (!frozen) return undefined;
      const s = await getJson<Status>(`/v1/jobs/${id}`);
      return s.chunks.running === 1 ? s : undefined;
    });
    const me = w.logs.find((l) => l.event === 'worker-start')!.worker!;
    const first = w.logs.find((l) => l.event === 'chunk-done' && l.chunk === 0)!;
    assert.equal(mid.state, 'running');
    assert.deepEqual(mid.chunks, { total: 3, done: 1, running: 1, waiting: 1, failed: 0 });
    assert.deepEqual(
      mid.workers.map((x) => [x.worker, x.chunks, x.examples]),
      [[me, 1, first.examples]],
    );
    // ETA: the chunks not done (2) at the finished chunk's time, over the one worker busy
    assert.ok(Math.abs(mid.etaSeconds! - 2 * (first.seconds as number)) < 1e-6, `eta ${mid.etaSeconds}`);

    const overview = await getJson<Overview>('/v1/distributed-jobs');
    assert.deepEqual(overview.workers, [me]);
    assert.equal(overview.depth.active, 1);
    assert.equal(await metric('distillery_queue_workers'), 1);
    assert.equal(await metric('distillery_queue_chunks', { state: 'active' }), 1);
    assert.equal(await metric('distillery_distributed_job_chunks', { job: id, state: 'running' }), 1);
    assert.equal(await metric('distillery_distributed_worker_chunks', { job: id, worker: me }), 1);
    assert.equal(await metric('distillery_distributed_job_eta_seconds', { job: id }), mid.etaSeconds);

    // the dashboard's jobs page shows the same
    await page.goto(`${svc.url}/#/jobs`);
    await page.waitForSelector('body[data-ready="jobs"]', { timeout: 20_000 });
    const row = `#distributed-table tr[data-job="${id}"]`;
    await page.waitForSelector(`${row}[data-state="running"] .progress[data-running="1"]`, { timeout: 20_000 });
    assert.equal(await page.textContent(`${row} .chunks`), '1/3 done · 1 running · 1 waiting · 0 failed');
    assert.equal(await page.textContent(`${row} td.eta`), `${Math.round(mid.etaSeconds!)} s`);
    assert.equal(await page.getAttribute(`${row} li[data-worker="${me}"]`, 'data-chunks'), '1');
    assert.equal(await page.getAttribute('#queue-summary', 'data-workers'), '1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-distributed-running.png'), fullPage: true });

    w.child.kill('SIGCONT');
    const r = await within('the coordinator to finish once the worker goes on', coordinator.done);
    assert.equal(r.code, 0, r.stderr);

    // the page polls its way to the end without a reload
    await page.waitForSelector(`${row}[data-state="done"] .progress[data-done="3"]`, { timeout: 20_000 });
    const done = await getJson<Status>(`/v1/jobs/${id}`);
    assert.equal(done.state, 'done');
    const rate = done.workers[0]!;
    assert.deepEqual([rate.worker, rate.chunks], [me, 3]);
    const workerText = await page.textContent(`${row} li[data-worker="${me}"]`);
    assert.equal(workerText, `${me}: 3 chunks · ${rate.examples} examples · ${rate.examplesPerSecond.toFixed(1)} ex/s`);
    assert.equal(await page.textContent(`${row} td.eta`), '—');
    assert.equal(await metric('distillery_distributed_worker_examples', { job: id, worker: me }), rate.examples);
    assert.equal(
      await metric('distillery_distributed_worker_examples_per_second', { job: id, worker: me }),
      rate.examplesPerSecond,
    );
    assert.equal(await metric('distillery_distributed_job_eta_seconds', { job: id }), undefined);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-distributed-done.png'), fullPage: true });

    // every chunk line the worker logged names the job and the chunk; examples add up to the API's
    const chunkLines = w.logs.filter((l: LogLine) => l.event?.startsWith('chunk-'));
    assert.ok(chunkLines.length >= 6);
    for (const l of chunkLines) {
      assert.equal(l.job, id);
      assert.equal(l.worker, me);
      assert.equal(typeof l.chunk, 'number');
    }
    const doneLines = chunkLines.filter((l) => l.event === 'chunk-done');
    assert.deepEqual(doneLines.map((l) => l.chunk).sort(), [0, 1, 2]);
    assert.equal(
      doneLines.reduce((n, l) => n + (l.examples as number), 0),
      rate.examples,
    );
    const stopped = await stopWorker(w);
    assert.equal(stopped.code, 0, stopped.stderr);

    // Redis gone: the scrape and the overview say so instead of hanging
    await redis.stop();
    assert.equal(await metric('distillery_queue_up'), 0);
    const down = await getJson<Overview>('/v1/distributed-jobs');
    assert.equal(down.up, false);
    const gone = await fetch(`${svc.url}/v1/jobs/${id}`);
    assert.equal(gone.status, 503);
    assert.match(((await gone.json()) as { detail: string }).detail, /Redis did not answer/);
  },
);
