/** Bad input gets a 4xx problem naming what is wrong, never a 500. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { post, problemOf, startTestService, type TestService } from './helpers.ts';

function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('bad input is a 4xx', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService();
  });
  after(() => svc.close());

  test('a Content-Encoding the body does not have is 400', async () => {
    for (const enc of ['gzip', 'br', 'deflate']) {
      const status = await raw(
        `${svc.url}/v1/soft-labels`,
        'POST',
        { 'content-type': 'application/json', 'content-encoding': enc },
        '{"inputs":["a"]}',
      );
      assert.equal(status, 400, enc);
    }
  });

  test('ids that are not valid percent-encoding are 400', async () => {
    for (const p of ['/v1/datasets/%ff%fe/export', '/v1/datasets/%E0%A4%A', '/v1/jobs/%ff%fe']) {
      assert.equal(await raw(`${svc.url}${p}`, 'GET', {}), 400, p);
      assert.equal(await raw(`${svc.url}${p}`, 'DELETE', {}), 400, p);
    }
  });

  test('a flow nested 3,000 deep, or wider than the cap, is 422', async () => {
    const deep = `${'{"sequence":['.repeat(3000)}{"op":"swap"}${']}'.repeat(3000)}`;
    const res = await post(`${svc.url}/v1/augment`, `{"inputs":["a b c"],"recipe":{"flow":${deep}},"seed":1}`);
    assert.equal(res.status, 422);
    const wide = {
      oneOf: Array.from({ length: 64 }, () => ({ sequence: Array.from({ length: 8 }, () => ({ op: 'swap' })) })),
    };
    const w = await post(`${svc.url}/v1/augment`, { inputs: ['a b c'], recipe: { flow: wide }, seed: 1 });
    assert.equal(w.status, 422);
    assert.match((await problemOf(w)).detail, /at most 256 nodes/);
  });

  test('temperatures: at most 16, each in [0.05, 100], repeats dropped', async () => {
    const many = Array.from({ length: 10_000 }, () => 1);
    for (const temperatures of [many, [1e-320], [0], [101]]) {
      const res = await post(`${svc.url}/v1/soft-labels`, { inputs: ['a'], outputs: { temperatures } });
      assert.equal(res.status, 422, String(temperatures.slice(0, 2)));
      const job = await post(`${svc.url}/v1/jobs`, {
        dataset: 'x',
        corpus: { path: 'nope.jsonl' },
        teachers: ['tiny'],
        outputs: { temperatures },
      });
      assert.equal(job.status, 422);
      assert.match((await problemOf(job)).errors![0]!.pointer, /^\/outputs\/temperatures/);
    }
    const res = await post(`${svc.url}/v1/soft-labels`, { inputs: ['a'], outputs: { temperatures: [2, 1, 2, 1] } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { results: { probs: { temperature: number }[] }[] };
    assert.deepEqual(
      body.results[0]!.probs.map((p) => p.temperature),
      [2, 1],
    );
    const exp = await fetch(`${svc.url}/v1/datasets/none/export?temperatures=0.001`);
    assert.equal(exp.status, 404);
  });

  test('a job corpus path the file system cannot even look up is a 4xx (found by the fuzz test)', async () => {
    for (const p of ['x'.repeat(5000), 'a/'.repeat(200) + 'b', 'nope.jsonl/inside']) {
      const res = await post(`${svc.url}/v1/jobs`, { dataset: 'x', corpus: { path: p }, teachers: ['tiny'] });
      assert.ok(res.status === 404 || res.status === 422, `${res.status} for ${p.slice(0, 20)}`);
    }
  });

  test('unknown and out-of-range op params are 422 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ flow: { op: 'swap', params: { n: 1e9 } } }, /\/recipe\/flow\/params/],
      [{ builtin: 'eda', params: { nAug: 1e9 } }, /\/recipe\/params/],
      [{ flow: { op: 'char-noise', params: { budget: 1e9 } } }, /\/recipe\/flow\/params\/budget/],
      [{ flow: { op: 'swap', params: { alpha: 3 } } }, /\/recipe\/flow\/params\/alpha/],
      [{ builtin: 'eda', variants: 1e9 }, /\/recipe\/variants/],
    ];
    for (const [recipe, pointer] of cases) {
      const res = await post(`${svc.url}/v1/augment`, { inputs: ['a b c d'], recipe, seed: 1 });
      assert.equal(res.status, 422, JSON.stringify(recipe));
      const p = await problemOf(res);
      assert.ok(
        p.errors?.some((e) => pointer.test(e.pointer)),
        `${JSON.stringify(recipe)}: ${JSON.stringify(p.errors)}`,
      );
    }
  });
});
