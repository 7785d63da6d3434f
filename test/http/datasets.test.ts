import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { post, problemOf, startTestService } from './helpers.ts';

test('GET /v1/datasets lists the store; /v1/datasets/:id gives stats, 404 when unknown, 422 for a bad id', async () => {
  const svc = await startTestService();
  try {
    const store = svc.service.store;
    store.createDataset({ id: 'reviews', name: 'Reviews' });
    store.addExamples('reviews', [
      { id: 'a', text: 'good film', label: 1, origin: { kind: 'original' } },
      { id: 'b', text: 'bad film', label: 0, origin: { kind: 'original' } },
    ]);
    const list = (await (await fetch(`${svc.url}/v1/datasets`)).json()) as { datasets: { id: string; name: string }[] };
    assert.deepEqual(list.datasets.map((d) => [d.id, d.name]), [['reviews', 'Reviews']]);
    const one = (await (await fetch(`${svc.url}/v1/datasets/reviews`)).json()) as { id: string; stats: { examples: number; originals: number } };
    assert.equal(one.id, 'reviews');
    assert.equal(one.stats.examples, 2);
    assert.equal(one.stats.originals, 2);
    const missing = await fetch(`${svc.url}/v1/datasets/nope`);
    assert.equal(missing.status, 404);
    assert.match((await problemOf(missing)).detail, /nope/);
    const bad = await fetch(`${svc.url}/v1/datasets/${encodeURIComponent('../etc')}`);
    assert.equal(bad.status, 422);
    assert.match((await problemOf(bad)).detail, /"id"/);
  } finally {
    await svc.close();
  }
});

test('soft labels are cached in the store: a restarted service answers the same input without the model', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-http-restart-'));
  try {
    const body = { inputs: ['remember this sentence', { text: 'and this', textPair: 'pair' }], outputs: { temperatures: [2], topK: 2 } };
    const first = await startTestService({}, { dir });
    const a = (await (await post(`${first.url}/v1/soft-labels`, body)).json()) as { results: { cached: boolean; probs: unknown; topK: unknown }[] };
    await first.close();
    const second = await startTestService({}, { dir });
    try {
      const b = (await (await post(`${second.url}/v1/soft-labels`, body)).json()) as { results: { cached: boolean; probs: { values: number[] }[]; topK: unknown }[] };
      assert.deepEqual(a.results.map((r) => r.cached), [false, false]);
      assert.deepEqual(b.results.map((r) => r.cached), [true, true]);
      assert.deepEqual(b.results.map((r) => r.topK), a.results.map((r) => r.topK));
      const metrics = await (await fetch(`${second.url}/metrics`)).text();
      assert.doesNotMatch(metrics, /distillery_teacher_calls_total\{/, 'no model call after the restart');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
