/**
 * One writer per dataset: a second `distillery run` on a dataset another live process is writing fails
 * fast naming the holder (and so does POST /v1/jobs on the same database); after kill -9 of the holder the
 * next run takes the lock over and resumes. Real child processes, a real SQLite file.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { DatasetLock, DatasetLockedError } from '../../src/jobs/dataset-lock.ts';
import { openStore } from '../../src/store/index.ts';
import { post, startTestService } from '../http/helpers.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { runCli, startCli } from './helpers/cli.ts';

const dir = tempDir('distillery-lock-');

test('a second run fails fast naming the holder; after kill -9 the next run takes over and resumes', async () => {
  const job = path.join(dir, 'job.yaml');
  // far too long to finish during the test (eda x4 over 40k reviews: minutes): each run is stopped early
  const corpus = path.join(dir, 'reviews.jsonl');
  const words = [
    'good',
    'bad',
    'film',
    'plot',
    'actors',
    'music',
    'long',
    'short',
    'funny',
    'dull',
    'warm',
    'cold',
    'sharp',
    'slow',
  ];
  writeFileSync(
    corpus,
    Array.from({ length: 40_000 }, (_, i) =>
      JSON.stringify({
        text: `the ${words[i % 14]} ${words[(i * 5) % 14]} felt ${words[(i * 3) % 14]} and ${words[(i * 11) % 14]} in part ${i}`,
        label: i % 2,
      }),
    ).join('\n') + '\n',
  );
  writeFileSync(
    job,
    `dataset: reviews-lock\ncorpus: { path: ${JSON.stringify(corpus)} }\nrecipe: { builtin: eda, variants: 4 }\nseed: 3\nteachers: [demo]\nchunkSize: 40\n`,
  );
  const db = path.join(dir, 'test.db');
  let firstChunk!: () => void;
  const started = new Promise<void>((r) => (firstChunk = r));
  const first = startCli(['run', job, '--db', db, '--progress', 'json'], (line) => {
    if (line.startsWith('{') && (JSON.parse(line) as { type: string }).type === 'chunk') firstChunk();
  });
  await started;
  const pid = first.child.pid!;

  // Fails fast: it refuses while the first run is still writing, instead of waiting for the lock
  // (how long the refusal takes is a benchmark: bench/dataset-lock.ts).
  const second = await runCli(['run', job, '--db', db, '--progress', 'none']);
  assert.equal(first.child.exitCode, null, 'the first run was still writing');
  assert.equal(second.code, 1);
  assert.match(
    second.stderr,
    new RegExp(
      `^distillery: dataset reviews-lock is being written by another process: pid ${pid} on ${hostname()} \\(distillery run .*job\\.yaml`,
    ),
  );
  assert.match(second.stderr, new RegExp(`kill ${pid}`));
  assert.equal(second.stderr.trim().split('\n').length, 1);

  // the HTTP service on the same database refuses the dataset too
  const svc = await startTestService({ corporaDirs: [dir] }, { dir });
  try {
    const res = await post(`${svc.url}/v1/jobs`, {
      dataset: 'reviews-lock',
      corpus: { path: 'reviews.jsonl' },
      teachers: ['tiny'],
    });
    assert.equal(res.status, 409);
    const p = (await res.json()) as { detail: string; holder: { pid: number } };
    assert.equal(p.holder.pid, pid);
    assert.match(p.detail, /being written by another process/);
  } finally {
    await svc.close();
  }

  // nor can the dataset be removed under it
  const rm = await runCli(['datasets', 'rm', 'reviews-lock', '--db', db]);
  assert.equal(rm.code, 1);
  assert.match(
    rm.stderr,
    new RegExp(`^distillery: dataset reviews-lock is being written by another process: pid ${pid}`),
  );
  assert.equal(first.child.exitCode, null, 'the first run was still writing');

  first.child.kill('SIGKILL');
  assert.equal((await first.done).signal, 'SIGKILL');

  // the next run takes the dead holder's lock over and continues from its last chunk; Ctrl-C after one chunk
  let interrupted = false;
  const third = startCli(['run', job, '--db', db, '--progress', 'json'], (line, child) => {
    if (!interrupted && line.startsWith('{') && (JSON.parse(line) as { type: string }).type === 'chunk') {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const r = await third.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`took over the lock on dataset reviews-lock left by pid ${pid} .*no longer running`),
  );
  assert.match(r.stdout, /dataset reviews-lock: stopped after chunk \d+; .*resumed after \d+ records/);
  const store = openStore(db);
  try {
    assert.equal(store.locks.get('reviews-lock'), undefined, 'released when the run ends');
  } finally {
    store.close();
  }
});

test('a holder on another host is live until its heartbeat is older than staleMs; the heartbeat keeps it', async () => {
  const store = openStore(path.join(dir, 'hosts.db'));
  try {
    const other = {
      dataset: 'd',
      owner: 'x',
      pid: 1,
      host: 'elsewhere.invalid',
      command: 'distillery run other.yaml',
      acquired: new Date().toISOString(),
      heartbeat: Date.now() - 10_000,
    };
    store.locks.claim(other, () => false);
    assert.throws(
      () => DatasetLock.acquire(store, 'd', { command: 'test', staleMs: 30_000 }),
      (e: unknown) =>
        e instanceof DatasetLockedError &&
        e.holder.host === 'elsewhere.invalid' &&
        /after 30 s without a heartbeat/.test(e.hint ?? ''),
    );
    const lock = DatasetLock.acquire(store, 'd', { command: 'test', staleMs: 5_000, heartbeatMs: 20 });
    assert.equal(lock.tookOver?.host, 'elsewhere.invalid');
    const mine = store.locks.get('d')!;
    assert.equal(mine.pid, process.pid);
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(store.locks.get('d')!.heartbeat > mine.heartbeat, 'the heartbeat moved');
    // this live holder is not stale for anyone, however short their staleMs
    assert.throws(() => DatasetLock.acquire(store, 'd', { command: 'test', staleMs: 1_000 }), DatasetLockedError);
    lock.release();
    lock.release();
    assert.equal(store.locks.get('d'), undefined);
    DatasetLock.acquire(store, 'd', { command: 'test' }).release();
  } finally {
    store.close();
  }
});

test('a lock taken over while held is reported to its holder (onLost) and not released by it', async () => {
  const store = openStore(path.join(dir, 'lost.db'));
  try {
    let lost = 0;
    const lock = DatasetLock.acquire(store, 'd', { command: 'test', heartbeatMs: 20, onLost: () => lost++ });
    // another holder decides this one is dead and takes the row
    store.locks.claim(
      {
        dataset: 'd',
        owner: 'y',
        pid: 2,
        host: 'elsewhere.invalid',
        command: 'other',
        acquired: new Date().toISOString(),
        heartbeat: Date.now(),
      },
      () => true,
    );
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(lost, 1);
    lock.release();
    assert.equal(store.locks.get('d')?.owner, 'y');
  } finally {
    store.close();
  }
});
