/**
 * The key property of the queue: a job run by `distillery run --queue` on two real workers through a real
 * redis-server exports the same bytes as the same job run by plain `distillery run` on one machine, and
 * rerunning the coordinator attaches to the finished job instead of queueing another.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestService } from '../http/helpers.ts';
import {
  TEST_TIMEOUT_MS,
  assertSameExport,
  doneChunks,
  doneLines,
  redisForTests,
  runCli,
  runPlain,
  startTwoWorkers,
  startWorker,
  stopWorker,
  writeCorpus,
  writeJob,
} from './helpers.ts';

const dir = tempDir('distillery-queue-');
const redis = redisForTests();

test(
  'two workers through Redis: export byte-identical to a plain run; the rerun attaches',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const corpus = writeCorpus(dir, 120);
    await runPlain(dir, corpus);

    const job = writeJob(dir, 'queued', corpus, 20);
    const workers = startTwoWorkers(redis.url, dir);
    const coordinate = (progress: string) =>
      runCli(['run', job, '--db', path.join(dir, 'coord.db'), '--queue', redis.url, '--progress', progress]);
    const coordinator = await coordinate('json');
    assert.equal(coordinator.code, 0, coordinator.stderr);
    assert.match(
      coordinator.stdout,
      /dataset sst2-queue done \(queued job sst2-queue-[0-9a-f]{12}: 6 chunks on \d workers\)/,
    );
    assertSameExport(dir, 'plain', 'queued');

    const parts = readdirSync(path.join(dir, 'parts'));
    assert.equal(parts.length, 1);
    const files = readdirSync(path.join(dir, 'parts', parts[0]!));
    assert.equal(files.filter((f) => f.endsWith('.part')).length, 6, files.join(' '));

    // every chunk was logged as done, with its job id (at least once: a stalled lock may run one twice,
    // which the part count above shows changed nothing)
    assert.deepEqual(doneChunks(workers), [0, 1, 2, 3, 4, 5]);
    assert.ok(doneLines(workers).every((l) => l.job === parts[0]));

    const again = await coordinate('none');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /dataset sst2-queue is up to date/);

    const status = await runCli(['jobs', 'status', parts[0]!, '--queue', redis.url, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { state: string; chunks: { total: number; done: number; failed: number } };
    assert.equal(s.state, 'done');
    assert.deepEqual([s.chunks.total, s.chunks.done, s.chunks.failed], [6, 6, 0]);
    // the HTTP service with `queue` configured shows the distributed job under GET /v1/jobs/:id
    const svc = await startTestService({ queue: redis.url });
    try {
      const res = await fetch(`${svc.url}/v1/jobs/${parts[0]}`);
      assert.equal(res.status, 200);
      const view = (await res.json()) as typeof s & { workers: { worker: string; chunks: number }[] };
      assert.equal(view.state, 'done');
      assert.equal(view.chunks.done, 6);
      assert.equal(
        view.workers.reduce((n, w) => n + w.chunks, 0),
        6,
      );
      assert.equal((await fetch(`${svc.url}/v1/jobs/sst2-queue-000000000000`)).status, 404);
    } finally {
      await svc.close();
    }
    for (const w of workers) {
      const r = await stopWorker(w);
      assert.equal(r.code, 0, r.stderr);
    }
  },
);

test(
  'run --queue --export-only: finalize writes no store; the exports from the parts equal a plain run',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const corpus = writeCorpus(dir, 120);
    // the plain run of the first test wrote out-plain (same corpus, job and models)
    const job = writeJob(dir, 'queued-x', corpus, 20);
    const worker = startWorker(redis.url, path.join(dir, 'worker-x.db'), 30_000);
    const db = path.join(dir, 'coord-x.db');
    const coordinator = await runCli([
      'run',
      job,
      '--db',
      db,
      '--queue',
      redis.url,
      '--export-only',
      '--progress',
      'none',
    ]);
    assert.equal(coordinator.code, 0, coordinator.stderr);
    assert.match(coordinator.stdout, /exported \d+ rows of sst2-queue as parquet/);
    assertSameExport(dir, 'plain', 'queued-x');
    const listed = await runCli(['datasets', 'list', '--db', db, '--json']);
    assert.ok(!listed.stdout.includes('sst2-queue'), listed.stdout);
    const r = await stopWorker(worker);
    assert.equal(r.code, 0, r.stderr);
  },
);
