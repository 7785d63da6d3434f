/**
 * Each teacher's onnxruntime session runs in its own worker thread: the main thread (HTTP, timers)
 * keeps going during a batch, a dead thread gives a clear error (503 over HTTP) instead of a hang,
 * and an idle worker does not keep a finished process alive.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { DistilleryError } from '../../src/core/errors.ts';
import type { OutputSpec } from '../../src/core/types.ts';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';
import { WorkerSession } from '../../src/teacher/worker-session.ts';
import { buildSlowTeacher, longTexts } from '../helpers/slow-teacher.ts';
import { post, problemOf, startTestService, TINY, TINY_TEACHER } from '../http/helpers.ts';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
// One model call for the whole request, on one intra-op thread so the other core stays for the test.
const SLOW = { threads: 1, tokenBudget: 1_000_000, maxBatchSize: 1000 };
const ONE_BATCH = { enabled: true, maxWaitMs: 5, maxDelayMs: 50, tokenBudget: 1_000_000, maxBatchTexts: 64 };

let dir: string;
let slowDir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'distillery-worker-'));
  slowDir = buildSlowTeacher(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Largest gap between ticks of a 5 ms interval: what a timer (or a request) waited at worst. */
function tickGaps(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const iv = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(iv);
      return Math.max(worst, performance.now() - last);
    },
  };
}

test('the HTTP server answers /healthz and timers keep ticking while a long batch runs', async (t) => {
  const svc = await startTestService({ teachers: [{ name: 'slow', path: slowDir, ...SLOW }], batching: ONE_BATCH });
  try {
    const inputs = longTexts(32, 100);
    assert.equal(
      (await post(`${svc.url}/v1/soft-labels`, { teacher: 'slow', inputs: inputs.slice(0, 2).map((t) => `warm ${t}`) }))
        .status,
      200,
    );
    const gaps = tickGaps();
    const started = performance.now();
    let labelsDone = 0;
    const labels = post(`${svc.url}/v1/soft-labels`, { teacher: 'slow', inputs }).then(async (res) => {
      labelsDone = performance.now();
      return res;
    });
    const health: number[] = [];
    while (!labelsDone) {
      const t0 = performance.now();
      const res = await fetch(`${svc.url}/healthz`);
      assert.equal(res.status, 200);
      await res.text();
      if (!labelsDone) health.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
    const res = await labels;
    const worstGap = gaps.stop();
    const batchMs = labelsDone - started;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { results: unknown[] }).results.length, 32);
    const diag = `batch request ${batchMs.toFixed(0)} ms, ${health.length} healthz during it (worst ${Math.max(...health).toFixed(0)} ms), worst timer gap ${worstGap.toFixed(0)} ms`;
    t.diagnostic(diag);
    // On the main thread the model call blocked everything for its whole duration (hundreds of ms here).
    assert.ok(batchMs >= 150, `the batch must take long enough to measure: ${diag}`);
    assert.ok(health.length >= 5, diag);
    assert.ok(Math.max(...health) < batchMs / 3, diag);
    assert.ok(worstGap < batchMs / 3, diag);
  } finally {
    await svc.close();
  }
});

/** Makes the thread throw outside any handler, as a bug in it would (see session-worker.mjs). */
function crash(session: WorkerSession): void {
  session.thread.postMessage({ op: 'crash', id: -1, message: 'simulated bug' });
}

test('a worker thread that dies fails the in-flight and later requests with 503 and marks the teacher failed; others keep serving', async () => {
  const svc = await startTestService({ teachers: [{ name: 'slow', path: slowDir, ...SLOW }, TINY_TEACHER] });
  try {
    const teacher = await svc.service.registry.get('slow');
    const session = teacher.session;
    assert.ok(session instanceof WorkerSession, 'the default session lives in a worker thread');
    crash(session);
    const inFlight = post(`${svc.url}/v1/soft-labels`, { teacher: 'slow', inputs: longTexts(4, 20) }, {});
    const res = await Promise.race([
      inFlight,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('request hung after the worker died')), 30_000).unref(),
      ),
    ]);
    assert.equal(res.status, 503);
    const p = await problemOf(res);
    assert.match(p.detail, /worker thread for teacher "slow".* (crashed: simulated bug|stopped unexpectedly)/);
    assert.ok(res.headers.get('retry-after'));

    const again = await post(`${svc.url}/v1/soft-labels`, { teacher: 'slow', inputs: ['hello'] });
    assert.equal(again.status, 503);
    assert.match((await problemOf(again)).detail, /crashed: simulated bug/);
    const listing = (await (await fetch(`${svc.url}/v1/teachers`)).json()) as {
      teachers: { name: string; state: string; error?: string }[];
    };
    const slow = listing.teachers.find((t) => t.name === 'slow')!;
    assert.equal(slow.state, 'failed');
    assert.match(slow.error ?? '', /crashed: simulated bug/);
    assert.equal((await post(`${svc.url}/v1/soft-labels`, { teacher: 'tiny', inputs: ['hello'] })).status, 200);
  } finally {
    await svc.close();
  }
});

test('a run error rejects that run only; a dead thread rejects every pending run with a clear error', async () => {
  const session = await new WorkerSession('a test session').open(path.join(TINY, 'onnx/model.onnx'), {
    intraOpNumThreads: 1,
  });
  try {
    assert.deepEqual([...session.inputNames].sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
    const feeds = (n: number) => ({
      input_ids: { type: 'int64', data: new BigInt64Array(n).fill(5n), dims: [1, n] },
      attention_mask: { type: 'int64', data: new BigInt64Array(n).fill(1n), dims: [1, n] },
      token_type_ids: { type: 'int64', data: new BigInt64Array(n), dims: [1, n] },
    });
    const bad = { ...feeds(4), attention_mask: { type: 'int64', data: new BigInt64Array(3), dims: [1, 3] } };
    await assert.rejects(
      session.run(bad, ['logits']),
      (err: Error) => !(err instanceof DistilleryError) && err.message.length > 0,
    );
    assert.equal(session.failure, undefined);
    const ok = await session.run(feeds(4), ['logits']);
    assert.equal(ok.logits!.type, 'float32');
    assert.equal(ok.logits!.dims.length, 2);
    assert.equal(ok.logits!.dims[0], 1);

    let notified: DistilleryError | undefined;
    session.onFailure((e) => (notified = e));
    // The thread handles messages in order: it dies on the first, so both runs are left pending.
    crash(session);
    const runs = [session.run(feeds(8), ['logits']), session.run(feeds(8), ['logits'])];
    for (const r of runs) {
      await assert.rejects(
        r,
        (err: unknown) =>
          err instanceof DistilleryError &&
          err.code === 'MODEL_LOAD_FAILED' &&
          /a test session crashed: simulated bug/.test(err.message),
      );
    }
    assert.equal(notified, session.failure);
    await assert.rejects(session.run(feeds(4), ['logits']), (err: unknown) => err === session.failure);
  } finally {
    await session.release();
  }
});

test('worker and main-thread sessions give identical outputs, and a closed teacher says so', async () => {
  const spec: OutputSpec = {
    logits: true,
    temperatures: [1, 2],
    topK: 2,
    hidden: { layers: 'all', pooling: 'none' },
    attentions: { layers: 'all' },
    encoding: 'fp32',
  };
  const inputs = longTexts(5, 12).map((text) => ({ text }));
  const worker = await OnnxTeacher.load({ name: 'w', dir: TINY, limits: { tokenBudget: 64, maxBatchSize: 2 } });
  const main = await OnnxTeacher.load({ name: 'm', dir: TINY, thread: 'main' });
  assert.ok(worker.session instanceof WorkerSession);
  assert.ok(!(main.session instanceof WorkerSession));
  assert.deepEqual(await worker.infer(inputs, spec), await main.infer(inputs, spec));
  await Promise.all([worker.dispose(), main.dispose()]);
  await assert.rejects(worker.infer(inputs, spec), /was closed/);
});

test('a teacher disposed because its thread died still reports the crash, not that it was closed', async () => {
  const teacher = await OnnxTeacher.load({ name: 'crashy', dir: TINY });
  const spec: OutputSpec = { logits: true, temperatures: [1], encoding: 'fp32' };
  const crashed = (err: unknown) => err instanceof DistilleryError && /crashed: simulated bug/.test(err.message);
  crash(teacher.session as WorkerSession);
  // the pending run keeps the (otherwise unreferenced) thread alive until it dies
  await assert.rejects(teacher.infer([{ text: 'hello' }], spec), crashed);
  // what the registry does on failure, before a caller that already holds the teacher runs its batch
  await teacher.dispose();
  await assert.rejects(teacher.infer([{ text: 'hello' }], spec), crashed);
});

test('an idle worker does not keep a process alive, and a pending run does not let it exit early', async () => {
  const script = path.join(dir, 'no-dispose.mts');
  writeFileSync(
    script,
    `import { OnnxTeacher } from ${JSON.stringify(path.join(REPO, 'src/teacher/onnx-teacher.ts'))};
const t = await OnnxTeacher.load({ name: 'tiny', dir: ${JSON.stringify(TINY)} });
const out = await t.infer([{ text: 'a good movie' }], { logits: true, temperatures: [], encoding: 'fp32' });
console.log('logits', out[0].logits.length === t.info.labels.length);
// no dispose(): the process must still end on its own
`,
  );
  const child = await run(process.execPath, ['--import', 'tsx', script], { cwd: REPO, timeout: 30_000 });
  assert.equal(child.stdout.trim(), 'logits true');

  // The CLI entry point registers tsx itself (workers do not inherit it): the plain-JS worker still starts.
  const corpus = path.join(dir, 'corpus.jsonl');
  writeFileSync(
    corpus,
    ['a good movie', 'a bad movie', 'wonderful', 'dreadful']
      .map((text, i) => JSON.stringify({ text, label: i % 2 === 0 ? 1 : 0 }))
      .join('\n') + '\n',
  );
  const cli = await run(
    process.execPath,
    [path.join(REPO, 'bin/distillery.js'), 'eval', '--input', corpus, '--teacher', 'demo', '--json'],
    {
      cwd: REPO,
      timeout: 30_000,
      env: { ...process.env, DISTILLERY_LOG_LEVEL: 'silent' },
    },
  );
  const report = JSON.parse(cli.stdout) as { examples: number; accuracy: number };
  assert.equal(report.examples, 4);
  assert.ok(report.accuracy >= 0 && report.accuracy <= 1);
});

test('a second SIGTERM during a batch ends `serve` by the signal, not by an onnxruntime abort', async () => {
  const config = path.join(dir, 'serve.json');
  writeFileSync(
    config,
    JSON.stringify({ logLevel: 'silent', teachers: [{ name: 'slow', path: slowDir, ...SLOW }], batching: ONE_BATCH }),
  );
  const child = spawn(
    process.execPath,
    [
      path.join(REPO, 'bin/distillery.js'),
      'serve',
      '--port',
      '0',
      '--db',
      path.join(dir, 'serve.db'),
      '--config',
      config,
    ],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        const m = /^distillery listening on (\S+)/.exec(l);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const labels = post(`${url}/v1/soft-labels`, { teacher: 'slow', inputs: longTexts(64, 100) }).catch(
      () => undefined,
    );
    // queue depth counts texts queued or in the model: wait until the batch is in
    while (!/^distillery_queue_depth\{teacher="slow"\} [1-9]/m.test(await (await fetch(`${url}/metrics`)).text()))
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const end = await exited;
    await labels;
    assert.equal(end.signal, 'SIGTERM', `exit ${JSON.stringify(end)}; stderr: ${stderr.slice(-500)}`);
    assert.doesNotMatch(stderr, /terminate called/);
  } finally {
    child.kill('SIGKILL');
  }
});
