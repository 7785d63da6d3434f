import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { post, startTestService, TINY } from './helpers.ts';

test('close() lets an in-flight request finish, then refuses connections; a second close() is the same promise', async () => {
  // The text waits 1 s for company; close() is called once the server has queued it (a fixed sleep
  // raced the request's arrival on a loaded machine).
  const svc = await startTestService({ batching: { maxWaitMs: 1000, maxDelayMs: 1000 } });
  await fetch(`${svc.url}/readyz`);
  const inFlight = post(`${svc.url}/v1/soft-labels`, { inputs: ['still answered during shutdown'] });
  await waitUntilQueued(svc.url);
  const c1 = svc.service.close();
  const c2 = svc.service.close();
  assert.equal(c1, c2);
  const res = await inFlight;
  assert.equal(res.status, 200);
  const body = (await res.json()) as { results: { logits: number[] }[] };
  assert.equal(body.results[0]!.logits.length, 3);
  await c1;
  await assert.rejects(fetch(`${svc.url}/healthz`));
  assert.equal(svc.service.store.closed, true);
  await svc.close();
});

/** Polls /metrics until a text is queued or in the model (distillery_queue_depth > 0). */
async function waitUntilQueued(url: string): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (/^distillery_queue_depth\{[^}]*\} [1-9]/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('`distillery serve` prints where it listens, serves, and exits 0 on SIGTERM with a request in flight', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-serve-'));
  const cfg = path.join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    `teachers:\n  - name: tiny\n    path: ${TINY}\nlogLevel: warn\nbatching:\n  maxWaitMs: 300\n  maxDelayMs: 300\n`,
  );
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'src/cli/main.ts'),
      'serve',
      '--port',
      '0',
      '--db',
      path.join(dir, 'd.db'),
      '--config',
      cfg,
    ],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.on('line', (l) => l.startsWith('distillery listening') && resolve(l));
      child.on('exit', () => reject(new Error('serve exited before listening')));
    });
    const m =
      /^distillery listening on (http:\/\/127\.0\.0\.1:\d+) \(teacher tiny: .*tiny-bert-classifier, fp32, cpu\)$/.exec(
        line,
      );
    assert.ok(m, line);
    const url = m[1]!;
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const inFlight = post(`${url}/v1/soft-labels`, { inputs: ['answered before exit'] });
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.equal((await inFlight).status, 200);
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port in use is a clear error, and nothing is left open', async () => {
  const svc = await startTestService();
  try {
    const { loadConfig } = await import('../../src/config.ts');
    const { startService } = await import('../../src/service.ts');
    const pino = (await import('pino')).default;
    const dir = mkdtempSync(path.join(tmpdir(), 'distillery-port-'));
    try {
      const config = loadConfig(
        { port: svc.service.port, db: path.join(dir, 'x.db'), patch: { teachers: [{ name: 'tiny', path: TINY }] } },
        {},
      );
      await assert.rejects(
        startService(config, { logger: pino({ level: 'silent' }) }),
        /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await svc.close();
  }
});
