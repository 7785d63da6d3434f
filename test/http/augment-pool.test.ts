/**
 * One augmentation request cannot freeze the service: it is priced before any work (413 over the
 * budget), runs in a worker thread while the event loop keeps answering, and is stopped at its deadline
 * (503 + Retry-After) with its thread replaced.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post, problemOf, startTestService, type TestService } from './helpers.ts';

const WORDS = 'the film was a warm and funny story about good people who love music and long walks in the park ';
const texts = (n: number, chars: number) =>
  Array.from({ length: n }, (_, i) => `${i} ${WORDS.repeat(50)}`.slice(0, chars));
const SYNONYMS = { flow: { op: 'synonym', params: { alpha: 1 } }, variants: 4 };

/** /healthz answers counted while `work` is in flight (the service runs in this process: a blocked loop answers none). */
async function healthzDuring(url: string, work: Promise<Response>): Promise<{ res: Response; answered: number }> {
  let answered = 0;
  let done = false;
  const beat = async () => {
    while (!done) {
      await fetch(`${url}/healthz`);
      if (!done) answered++;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const beating = beat();
  const res = await work;
  done = true;
  await beating;
  return { res, answered };
}

describe('augmentation off the event loop', () => {
  let svc: TestService;
  let short: TestService;
  before(async () => {
    svc = await startTestService({ workers: 1 });
    short = await startTestService({ workers: 1, limits: { augmentDeadlineMs: 300 } });
  });
  after(async () => {
    await svc.close();
    await short.close();
  });

  test('a request over the cost budget is 413 before any work', async () => {
    // the request from the issue: 64 texts of ~3,950 characters, 16 variants
    const res = await post(`${svc.url}/v1/augment`, {
      inputs: texts(64, 3950),
      recipe: { flow: { op: 'synonym', params: { alpha: 1 } }, variants: 16 },
      seed: 1,
    });
    assert.equal(res.status, 413);
    assert.match((await problemOf(res)).detail, /over the budget of 2000000/);
  });

  test('/healthz keeps answering while a heavy augmentation runs, and the answer is complete', async () => {
    const { res, answered } = await healthzDuring(
      svc.url,
      post(`${svc.url}/v1/augment`, { inputs: texts(16, 1000), recipe: SYNONYMS, seed: 1 }),
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as { examples: { origin: { kind: string } }[] };
    assert.equal(body.examples.filter((e) => e.origin.kind !== 'original').length, 64);
    assert.ok(answered >= 5, `/healthz answered ${answered} times during the augmentation`);
  });

  test('the same seed gives the same examples in the pool as in the engine', async () => {
    const a = await post(`${svc.url}/v1/augment`, { inputs: texts(3, 200), recipe: 'eda', seed: 7 });
    const b = await post(`${svc.url}/v1/augment`, { inputs: texts(3, 200), recipe: 'eda', seed: 7 });
    assert.deepEqual(await a.json(), await b.json());
  });

  test('past its deadline a request is 503 with Retry-After, and the next one is served', async () => {
    const small = () =>
      post(`${short.url}/v1/augment`, { inputs: ['a good film'], recipe: { flow: { op: 'swap' } }, seed: 1 });
    // the thread's start-up (loading the engine) may itself outlast a 300 ms wait: let it start first
    for (let i = 0; i < 50 && (await small()).status !== 200; i++) await new Promise((r) => setTimeout(r, 200));
    const heavy = { flow: { op: 'synonym', params: { alpha: 1 } }, variants: 16 };
    const res = await post(`${short.url}/v1/augment`, { inputs: texts(64, 1500), recipe: heavy, seed: 1 });
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    assert.match((await problemOf(res)).detail, /did not finish within 300 ms/);
    // the thread that was stopped has been replaced
    let next = await small();
    for (let i = 0; i < 50 && next.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      next = await small();
    }
    assert.equal(next.status, 200);
  });
});
