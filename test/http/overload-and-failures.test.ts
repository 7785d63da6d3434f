import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { post, problemOf, startTestService, TINY, TINY_TEACHER } from './helpers.ts';

test('a flooded queue answers 429 with Retry-After, and the accepted requests still succeed', async () => {
  // Texts wait 400 ms for company, so the queue fills before any model call drains it.
  const svc = await startTestService({
    batching: { maxWaitMs: 400, maxDelayMs: 400 },
    limits: { queueBound: 4, retryAfterSeconds: 2 },
  });
  try {
    await fetch(`${svc.url}/readyz`);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(`${svc.url}/v1/soft-labels`, { inputs: [`flood ${i}`] })),
    );
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
    for (const r of responses) {
      if (r.status !== 429) continue;
      assert.equal(r.headers.get('retry-after'), '2');
      assert.match((await problemOf(r)).detail, /queued/);
    }
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, /distillery_http_requests_total\{route="\/v1\/soft-labels",method="POST",status="429"\} 6/);
  } finally {
    await svc.close();
  }
});

test('a teacher that fails to load answers 503 while the other teacher keeps serving', async () => {
  const broken = mkdtempSync(path.join(tmpdir(), 'distillery-broken-'));
  cpSync(TINY, broken, { recursive: true });
  writeFileSync(path.join(broken, 'onnx', 'model.onnx'), 'this is not an onnx graph');
  const svc = await startTestService({ teachers: [TINY_TEACHER, { name: 'broken', path: broken }] });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await post(`${svc.url}/v1/soft-labels`, { teacher: 'broken', inputs: ['hello'] });
      assert.equal(res.status, 503);
      assert.ok(res.headers.get('retry-after'));
      const p = await problemOf(res);
      assert.match(p.detail, /broken/);
    }
    const ok = await post(`${svc.url}/v1/soft-labels`, { inputs: ['hello'] });
    assert.equal(ok.status, 200);
    const listing = (await (await fetch(`${svc.url}/v1/teachers`)).json()) as {
      teachers: { name: string; state: string; error?: string }[];
    };
    const b = listing.teachers.find((t) => t.name === 'broken')!;
    assert.equal(b.state, 'failed');
    assert.ok(b.error);
    assert.equal(listing.teachers.find((t) => t.name === 'tiny')!.state, 'ready');
    // the default teacher is fine, so the service is ready
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  } finally {
    await svc.close();
    rmSync(broken, { recursive: true, force: true });
  }
});

test('readyz is 503 when the default teacher cannot load; healthz stays 200', async () => {
  const svc = await startTestService({
    teachers: [{ name: 'missing', path: path.join(tmpdir(), 'distillery-no-such-model') }],
  });
  try {
    const ready = await fetch(`${svc.url}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    assert.equal(body.checks['teacher:missing']!.ok, false);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  } finally {
    await svc.close();
  }
});

test('a teacher that fails at run time answers 503 for that request; the server and other inputs keep working', async () => {
  // The digit "7" maps to a token id far past the embedding table: the model itself fails on it.
  const faulty = mkdtempSync(path.join(tmpdir(), 'distillery-faulty-'));
  cpSync(TINY, faulty, { recursive: true });
  const tokPath = path.join(faulty, 'tokenizer.json');
  const tok = JSON.parse(readFileSync(tokPath, 'utf8')) as { model: { vocab: Record<string, number> } };
  tok.model.vocab['7'] = 999_999;
  writeFileSync(tokPath, JSON.stringify(tok));
  const svc = await startTestService({ teachers: [{ name: 'faulty', path: faulty }, TINY_TEACHER] });
  try {
    const bad = await post(`${svc.url}/v1/soft-labels`, { teacher: 'faulty', inputs: ['room 7 please'] });
    assert.equal(bad.status, 503);
    assert.match((await problemOf(bad)).detail, /teacher "faulty" failed/);
    assert.equal(
      (await post(`${svc.url}/v1/soft-labels`, { teacher: 'faulty', inputs: ['room eight please'] })).status,
      200,
    );
    assert.equal((await post(`${svc.url}/v1/soft-labels`, { teacher: 'tiny', inputs: ['room 7 please'] })).status, 200);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, /distillery_teacher_calls_total\{teacher="faulty",outcome="error"\} 1/);
  } finally {
    await svc.close();
    rmSync(faulty, { recursive: true, force: true });
  }
});
