/**
 * POST /v1/sequence-logprobs on a real server (loopback, real tiny Llama teacher, real SQLite store):
 * answers equal a direct teacher-forced CausalTeacher forward, concurrent requests share teacher calls,
 * a repeated sequence is answered from the store, and bad input is a 422 naming the field.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { topKErrorBound, DEFAULT_TOPK_QUANTIZER } from '../../src/store/index.ts';
import { labelSequences } from '../../src/jobs/sequence-labeler.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import type { SequenceInput } from '../../src/teacher/causal/sequence-input.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { post, problemOf, startTestService, TINY_TEACHER, type TestService } from './helpers.ts';

const LLAMA = path.join(REPO_ROOT, 'models', 'tiny-llama-lm');
const KEY = 'a-test-key-that-is-long-enough';

interface Result {
  tokenIds: number[];
  positions: number[];
  cached: boolean;
  lse: number[];
  topK: { k: number; ids: number[][]; logprobs: number[][]; tailMass: number[] };
  samples: { draws: number; ids: number[][]; counts: number[][] };
  target: { logprob: number[]; rank: number[]; entropy: number[] };
}

const inputs: SequenceInput[] = [
  { prompt: 'What is water?', response: ' A clear liquid that we drink.' },
  {
    messages: [
      { role: 'user', content: 'hi there' },
      { role: 'assistant', content: 'hello, how are you' },
    ],
  },
  { text: 'plain text where every token after the first is a target' },
];
const spec: SequenceOutputSpec = { temperature: 0.8, topK: 8, samples: { draws: 24 }, target: true };
const outputs = { temperature: 0.8, topK: 8, samples: { draws: 24 }, target: true };

function assertClose(got: number[], want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol, `${what}[${i}]: ${g} vs ${want[i]}`));
}

/** The response row against the teacher's own targets; `tol` on the top-k log-probs (the store quantizes them). */
function assertMatches(r: Result, want: SequenceTargets, tol: number): void {
  assert.deepEqual(r.tokenIds, Array.from(want.tokenIds));
  assert.deepEqual(r.positions, Array.from(want.positions));
  const k = want.topk!.k;
  r.topK.ids.forEach((ids, p) => {
    const wantIds = Array.from(want.topk!.ids.subarray(p * k, (p + 1) * k));
    // quantized values may swap entries whose log-probs lie within the bound
    if (tol < 1e-3) assert.deepEqual(ids, wantIds, `top-k ids of row ${p}`);
    else assert.deepEqual([...ids].sort(), [...wantIds].sort(), `top-k id set of row ${p}`);
    const byId = new Map(wantIds.map((id, j) => [id, want.topk!.logprobs[p * k + j]!]));
    ids.forEach((id, j) => assert.ok(Math.abs(r.topK.logprobs[p]![j]! - byId.get(id)!) <= tol, `row ${p} id ${id}`));
  });
  assertClose(r.lse, want.lse, 1e-4, 'lse');
  assertClose(r.topK.tailMass, want.topk!.tailMass, tol < 1e-3 ? 1e-5 : 0.1, 'tail mass');
  assertClose(r.target.logprob, want.target!.logprob, 1e-4, 'target log-prob');
  assertClose(r.target.entropy, want.target!.entropy, 1e-4, 'entropy');
  assert.deepEqual(r.target.rank, Array.from(want.target!.rank));
  const s = want.samples!;
  r.samples.ids.forEach((ids, p) => {
    assert.deepEqual(ids, Array.from(s.ids.subarray(s.offsets[p]!, s.offsets[p + 1]!)), `sample ids of row ${p}`);
    assert.deepEqual(r.samples.counts[p], Array.from(s.counts.subarray(s.offsets[p]!, s.offsets[p + 1]!)));
  });
}

describe('POST /v1/sequence-logprobs', () => {
  let svc: TestService;
  let direct: CausalTeacher;
  let want: SequenceTargets[];
  const url = (p: string) => `${svc.url}${p}`;
  // made here, not in before(): a tempDir() made inside a hook is removed when the hook ends
  const dir = tempDir();
  const calls = () => svc.service.metrics.teacherCalls.get({ teacher: 'lm', outcome: 'ok' });

  before(async () => {
    const noTemplate = path.join(dir, 'no-template-lm');
    cpSync(LLAMA, noTemplate, { recursive: true });
    const tc = JSON.parse(readFileSync(path.join(noTemplate, 'tokenizer_config.json'), 'utf8'));
    delete tc.chat_template;
    writeFileSync(path.join(noTemplate, 'tokenizer_config.json'), JSON.stringify(tc));
    svc = await startTestService({
      teachers: [TINY_TEACHER, { name: 'lm', path: LLAMA }, { name: 'plain-lm', path: noTemplate }],
      // a long window, so that concurrent requests surely meet; merging is asserted by counting calls
      batching: { enabled: true, maxWaitMs: 200, maxDelayMs: 2000, tokenBudget: 8192, maxBatchTexts: 64 },
    });
    direct = await CausalTeacher.load({ name: 'direct', dir: LLAMA });
    want = (await direct.score(
      inputs.map((input) => ({ input })),
      spec,
    )) as SequenceTargets[];
  });
  after(async () => {
    await direct?.dispose();
    await svc?.close();
  });

  test('answers what a direct teacher-forced forward gives (within 1e-4), then the same from the store', async () => {
    const res = await post(url('/v1/sequence-logprobs'), { teacher: 'lm', inputs, outputs });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { teacher: { name: string; vocabSize: number }; results: Result[] };
    assert.equal(body.teacher.vocabSize, 495);
    body.results.forEach((r, i) => {
      assert.equal(r.cached, false);
      assertMatches(r, want[i]!, 1e-4);
    });
    const listed = (await (await fetch(url('/v1/teachers'))).json()) as {
      teachers: { name: string; state: string; info?: { task: string; fingerprint: string } }[];
    };
    const lm = listed.teachers.find((t) => t.name === 'lm');
    assert.equal(lm?.state, 'ready', 'GET /v1/teachers shows a loaded causal teacher as ready');
    assert.equal(lm?.info?.task, 'text-generation');
    assert.equal(lm?.info?.fingerprint, direct.info.fingerprint);
    const before = calls();
    const again = (await (await post(url('/v1/sequence-logprobs'), { inputs, outputs })).json()) as {
      results: Result[];
    };
    assert.equal(calls(), before, 'a repeated sequence costs no teacher call');
    const bound = topKErrorBound(DEFAULT_TOPK_QUANTIZER).tail;
    again.results.forEach((r, i) => {
      assert.equal(r.cached, true);
      assertMatches(r, want[i]!, bound);
    });
  });

  test('concurrent requests share teacher calls, each answered as if alone', async () => {
    const texts = Array.from({ length: 8 }, (_, i) => `concurrent sentence ${i} ${'and more words '.repeat(i % 3)}`);
    const before = calls();
    const answers = await Promise.all(
      texts.map(async (text) => {
        const res = await post(url('/v1/sequence-logprobs'), { teacher: 'lm', inputs: [text], outputs });
        assert.equal(res.status, 200);
        return ((await res.json()) as { results: Result[] }).results[0]!;
      }),
    );
    const used = calls() - before;
    assert.ok(used >= 1 && used < texts.length, `8 requests took ${used} teacher calls`);
    const alone = (await direct.score(
      texts.map((text) => ({ input: { text } })),
      spec,
    )) as SequenceTargets[];
    answers.forEach((r, i) => assertMatches(r, alone[i]!, 1e-4));
  });

  test('token ids score from promptLength on; a row with nothing to score costs nothing', async () => {
    const ids = Array.from(want[0]!.tokenIds);
    const res = await post(url('/v1/sequence-logprobs'), {
      inputs: [
        { tokenIds: ids, promptLength: 3 },
        { tokenIds: ids, promptLength: ids.length },
      ],
      outputs: { topK: 4 },
    });
    assert.equal(res.status, 200);
    const [some, none] = ((await res.json()) as { results: Result[] }).results;
    assert.deepEqual(
      some!.positions,
      ids.slice(3).map((_, i) => i + 2),
    );
    assert.deepEqual(none!.positions, []);
    assert.deepEqual(none!.topK.ids, []);
  });

  test('a sequence a job stored (labelSequences) is a store hit for the route', async () => {
    const teacher = await svc.service.registry.getCausal('lm');
    const input = { prompt: 'Stored by a job first?', response: ' Yes, and served from the store.' };
    const jobSpec: SequenceOutputSpec = { temperature: 1, topK: 8, target: true };
    const report = await labelSequences(teacher, svc.service.store, [{ id: 'row-1', input }], jobSpec);
    assert.equal(report.computed, 1);
    const before = calls();
    const res = await post(url('/v1/sequence-logprobs'), { inputs: [input], outputs: { topK: 8 } });
    const [r] = ((await res.json()) as { results: Result[] }).results;
    assert.equal(r!.cached, true);
    assert.equal(calls(), before);
  });

  test('/openapi.json documents the routes from the schemas that validate them', async () => {
    const doc = (await (await fetch(url('/openapi.json'))).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const seq = doc.paths['/v1/sequence-logprobs']?.post as { requestBody: { content: Record<string, unknown> } };
    assert.ok(JSON.stringify(seq.requestBody).includes('tokenIds'));
    for (const p of ['/get_sequence_logprobs/', '/trl/{teacher}/get_sequence_logprobs/'])
      assert.ok(JSON.stringify(doc.paths[p]?.post).includes('prompt_lengths'), p);
    assert.ok(doc.paths['/health/']?.get);
  });

  const bad: [string, unknown, number, string][] = [
    [
      'k larger than the vocabulary',
      { teacher: 'lm', inputs: ['some text'], outputs: { topK: 1000 } },
      422,
      '/outputs/topK',
    ],
    [
      'an unknown role',
      {
        inputs: [
          {
            messages: [
              { role: 'user', content: 'hi' },
              { role: 'robot', content: 'x' },
            ],
          },
        ],
      },
      422,
      '/inputs/0/messages/1/role',
    ],
    ['a sequence longer than the context', { inputs: ['ok', { text: 'word '.repeat(400) }] }, 422, '/inputs/1/text'],
    [
      'messages for a tokenizer without a chat template',
      { teacher: 'plain-lm', inputs: [{ messages: [{ role: 'assistant', content: 'hello' }] }] },
      422,
      '/inputs/0/messages',
    ],
    ['an empty response', { inputs: [{ prompt: 'a question', response: '' }] }, 422, '/inputs/0/response'],
    ['a blank prompt', { inputs: [{ prompt: '   ', response: 'an answer' }] }, 422, '/inputs/0/prompt'],
    ['a token id outside the vocabulary', { inputs: [{ tokenIds: [1, 2, 999] }] }, 422, '/inputs/0/tokenIds/2'],
    ['a classifier teacher', { teacher: 'tiny', inputs: ['text'] }, 422, '/teacher'],
    ['no output at all', { inputs: ['text'], outputs: { topK: 0, target: false } }, 422, '/outputs'],
    ['an unknown teacher', { teacher: 'nope', inputs: ['text'] }, 404, ''],
  ];
  for (const [what, body, status, pointer] of bad) {
    test(`refuses ${what}: ${status} ${pointer}`, async () => {
      const before = calls();
      const problem = await problemOf(await post(url('/v1/sequence-logprobs'), body));
      assert.equal(problem.status, status, problem.detail);
      if (pointer) assert.equal(problem.errors?.[0]?.pointer, pointer, problem.detail);
      assert.equal(calls(), before);
    });
  }
});

describe('POST /v1/sequence-logprobs past the queue bound', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ teachers: [{ name: 'lm', path: LLAMA }], limits: { queueBound: 2 } });
  });
  after(() => svc?.close());

  test('answers 429 with Retry-After, and computes nothing', async () => {
    const res = await post(`${svc.url}/v1/sequence-logprobs`, { inputs: ['one text', 'two texts', 'three texts'] });
    const problem = await problemOf(res);
    assert.equal(problem.status, 429, problem.detail);
    assert.ok(res.headers.get('retry-after'));
    assert.equal(svc.service.metrics.teacherCalls.get({ teacher: 'lm', outcome: 'ok' }), 0);
    assert.equal((await post(`${svc.url}/v1/sequence-logprobs`, { inputs: ['one text'] })).status, 200);
  });
});

describe('POST /v1/sequence-logprobs with API keys', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ apiKeys: [KEY], teachers: [{ name: 'lm', path: LLAMA }] });
  });
  after(() => svc?.close());

  test('needs the bearer token; the TRL health probe and readiness stay open', async () => {
    const body = { inputs: ['hello world'] };
    assert.equal((await post(`${svc.url}/v1/sequence-logprobs`, body)).status, 401);
    assert.equal(
      (await post(`${svc.url}/get_sequence_logprobs/`, { sequences: [[1, 2]], prompt_lengths: [1] })).status,
      401,
    );
    const ok = await post(`${svc.url}/v1/sequence-logprobs`, body, { authorization: `Bearer ${KEY}` });
    assert.equal(ok.status, 200);
    const health = await fetch(`${svc.url}/health/`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    // a causal-LM default teacher makes the server ready (it loads through the causal labeler)
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  });
});
