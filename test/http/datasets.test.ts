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
    assert.deepEqual(
      list.datasets.map((d) => [d.id, d.name]),
      [['reviews', 'Reviews']],
    );
    const one = (await (await fetch(`${svc.url}/v1/datasets/reviews`)).json()) as {
      id: string;
      stats: { examples: number; originals: number };
    };
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
    const body = {
      inputs: ['remember this sentence', { text: 'and this', textPair: 'pair' }],
      outputs: { temperatures: [2], topK: 2 },
    };
    const first = await startTestService({}, { dir });
    const a = (await (await post(`${first.url}/v1/soft-labels`, body)).json()) as {
      results: { cached: boolean; probs: unknown; topK: unknown }[];
    };
    await first.close();
    const second = await startTestService({}, { dir });
    try {
      const b = (await (await post(`${second.url}/v1/soft-labels`, body)).json()) as {
        results: { cached: boolean; probs: { values: number[] }[]; topK: unknown }[];
      };
      assert.deepEqual(
        a.results.map((r) => r.cached),
        [false, false],
      );
      assert.deepEqual(
        b.results.map((r) => r.cached),
        [true, true],
      );
      assert.deepEqual(
        b.results.map((r) => r.topK),
        a.results.map((r) => r.topK),
      );
      const metrics = await (await fetch(`${second.url}/metrics`)).text();
      assert.doesNotMatch(metrics, /distillery_teacher_calls_total\{/, 'no model call after the restart');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GET /v1/datasets/:id/export streams JSONL, Parquet and safetensors of outputs labelled over HTTP', async () => {
  const svc = await startTestService();
  try {
    const store = svc.service.store;
    store.createDataset({ id: 'mini' });
    const texts = ['a fine film', 'a dull film', 'an odd one'];
    store.addExamples(
      'mini',
      texts.map((text, i) => ({ id: `e${i}`, text, label: i % 2, origin: { kind: 'original' as const } })),
    );
    const labelled = (await (await post(`${svc.url}/v1/soft-labels`, { inputs: texts })).json()) as {
      teacher: { fingerprint: string };
      results: { logits: number[] }[];
    };
    store.linkTeacher('mini', labelled.teacher.fingerprint, { logits: true, temperatures: [1], encoding: 'fp32' });

    const jsonl = await fetch(`${svc.url}/v1/datasets/mini/export?format=jsonl`);
    assert.equal(jsonl.status, 200);
    assert.match(jsonl.headers.get('content-type')!, /ndjson/);
    assert.match(jsonl.headers.get('content-disposition')!, /filename="mini\.jsonl"/);
    const rows = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; text: string; logits: number[] });
    assert.deepEqual(
      rows.map((r) => r.id),
      ['e0', 'e1', 'e2'],
    );
    rows.forEach((r, i) => r.logits.forEach((z, j) => assert.ok(Math.abs(z - labelled.results[i]!.logits[j]!) < 1e-6)));

    const parquet = Buffer.from(await (await fetch(`${svc.url}/v1/datasets/mini/export?format=parquet`)).arrayBuffer());
    assert.equal(parquet.subarray(0, 4).toString(), 'PAR1');
    assert.equal(parquet.subarray(-4).toString(), 'PAR1');
    const st = Buffer.from(await (await fetch(`${svc.url}/v1/datasets/mini/export?format=safetensors`)).arrayBuffer());
    const headerLen = Number(st.readBigUInt64LE(0));
    const header = JSON.parse(st.subarray(8, 8 + headerLen).toString()) as Record<string, { shape: number[] }>;
    assert.ok(
      Object.values(header).some((t) => t.shape?.[0] === 3),
      JSON.stringify(header).slice(0, 200),
    );

    const badFormat = await fetch(`${svc.url}/v1/datasets/mini/export?format=csv`);
    assert.equal(badFormat.status, 422);
    assert.match((await problemOf(badFormat)).detail, /query parameter "format"/);
    const badPath = await fetch(`${svc.url}/v1/datasets/mini/export?format=jsonl&out=/etc/passwd`);
    assert.equal(badPath.status, 422);
    assert.equal((await fetch(`${svc.url}/v1/datasets/nope/export`)).status, 404);
  } finally {
    await svc.close();
  }
});
