/**
 * The TRL teacher-server contract, replayed against a real server: requests shaped exactly as TRL's
 * VLLMClient.get_sequence_logprobs sends them (trl/generation/vllm_client.py: a JSON body
 * {sequences, prompt_lengths, top_logprobs, temperature, response_format} with response_format
 * "binary" when use_binary, else "json"), decoded as the client decodes them, and checked against a
 * reference forward of the unmodified graph (raw onnxruntime, full-vocabulary logits in float64).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { REPO_ROOT } from '../../src/config.ts';
import { referenceLogits, referenceRow, type ReferenceRow } from '../helpers/causal-reference.ts';
import { post, problemOf, startTestService, TINY_TEACHER, type TestService } from './helpers.ts';

const LLAMA = path.join(REPO_ROOT, 'models', 'tiny-llama-lm');
const VOCAB = 495;

/** deterministic token ids (an LCG), so the test needs no tokenizer */
function ids(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => (x = (x * 1103515245 + 12345) % 2 ** 31) % VOCAB);
}

interface Binary {
  logprobs_b64: string;
  token_ids_b64: string;
  actual_logprobs_b64: string;
  actual_token_ids_b64: string;
  shape: [number, number, number];
  completion_lengths: number[];
}

/** As the client's _decode_binary_logprobs: numpy frombuffer(float32 / int32).reshape(shape) */
function decode(b: Binary) {
  const f32 = (s: string) => new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);
  const i32 = (s: string) => new Int32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);
  return {
    logprobs: f32(b.logprobs_b64),
    tokenIds: i32(b.token_ids_b64),
    actualLp: f32(b.actual_logprobs_b64),
    actualIds: i32(b.actual_token_ids_b64),
  };
}

describe('TRL teacher server contract', () => {
  let svc: TestService;
  let session: ort.InferenceSession;
  const url = (p: string) => `${svc.url}${p}`;
  const calls = () => svc.service.metrics.teacherCalls.get({ teacher: 'lm', outcome: 'ok' });
  const reference = async (seq: number[], T: number): Promise<ReferenceRow[]> =>
    (await referenceLogits(session, seq)).map((l) => referenceRow(l, T));

  before(async () => {
    svc = await startTestService({
      teachers: [TINY_TEACHER, { name: 'lm', path: LLAMA }],
      batching: { enabled: true, maxWaitMs: 200, maxDelayMs: 2000, tokenBudget: 8192, maxBatchTexts: 64 },
    });
    session = await ort.InferenceSession.create(path.join(LLAMA, 'onnx', 'model.onnx'));
  });
  after(async () => {
    await session?.release();
    await svc?.close();
  });

  test('GET /health/ answers {"status":"ok"} (the client polls it until 200)', async () => {
    for (const p of ['/health/', '/health', '/trl/lm/health/']) {
      const res = await fetch(url(p));
      assert.equal(res.status, 200, p);
      assert.deepEqual(await res.json(), { status: 'ok' });
    }
    assert.equal((await problemOf(await fetch(url('/trl/tiny/health/')))).status, 422);
    assert.equal((await problemOf(await fetch(url('/trl/nope/health/')))).status, 404);
  });

  const sequences = [ids(14, 1), ids(9, 2), ids(21, 3), ids(6, 4)];
  const promptLengths = [5, 0, 12, 6];

  test('binary: shapes, padding, top-k and actual-token log-probs equal the reference forward', async () => {
    const K = 5;
    const T = 0.7;
    const res = await post(url('/get_sequence_logprobs'), {
      sequences,
      prompt_lengths: promptLengths,
      top_logprobs: K,
      temperature: T,
      response_format: 'binary',
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Binary;
    const lengths = sequences.map((s, i) => s.length - promptLengths[i]!);
    const L = Math.max(...lengths);
    assert.deepEqual(body.shape, [sequences.length, L, K]);
    assert.deepEqual(body.completion_lengths, lengths);
    const d = decode(body);
    assert.equal(d.logprobs.length, sequences.length * L * K);
    assert.equal(d.actualLp.length, sequences.length * L);
    for (const [i, seq] of sequences.entries()) {
      const ref = await reference(seq, T);
      for (let t = 0; t < L; t++) {
        const pos = promptLengths[i]! + t;
        const at = (i * L + t) * K;
        if (t >= lengths[i]! || pos === 0) {
          // padding past the completion, and token 0 (no context): -inf and id 0, as vLLM's server pads
          for (let j = 0; j < K; j++) assert.equal(d.logprobs[at + j], -Infinity);
          assert.equal(d.actualLp[i * L + t], -Infinity);
          continue;
        }
        const row = ref[pos - 1]!;
        const topIds = Array.from(d.tokenIds.subarray(at, at + K));
        assert.deepEqual(topIds, row.order.slice(0, K), `sequence ${i} token ${pos}`);
        topIds.forEach((id, j) => assert.ok(Math.abs(d.logprobs[at + j]! - row.logp[id]!) < 1e-4));
        assert.equal(d.actualIds[i * L + t], seq[pos]);
        assert.ok(Math.abs(d.actualLp[i * L + t]! - row.logp[seq[pos]!]!) < 1e-4);
      }
    }
  });

  test('json: per completion token the top-k, plus the actual token when outside it', async () => {
    const K = 3;
    const res = await post(url('/trl/lm/get_sequence_logprobs/'), {
      sequences,
      prompt_lengths: promptLengths,
      top_logprobs: K,
      temperature: 1.0,
      response_format: 'json',
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { logprobs: number[][][]; logprob_token_ids: number[][][] };
    assert.equal(body.logprobs.length, sequences.length);
    let extra = 0;
    for (const [i, seq] of sequences.entries()) {
      const ref = await reference(seq, 1);
      assert.equal(body.logprobs[i]!.length, seq.length - promptLengths[i]!);
      body.logprob_token_ids[i]!.forEach((entry, t) => {
        const pos = promptLengths[i]! + t;
        if (pos === 0) return assert.deepEqual(entry, []);
        const row = ref[pos - 1]!;
        assert.deepEqual(entry.slice(0, K), row.order.slice(0, K));
        const inTop = row.order.slice(0, K).includes(seq[pos]!);
        assert.equal(entry.length, inTop ? K : K + 1);
        if (!inTop) {
          extra++;
          assert.equal(entry[K], seq[pos]);
        }
        entry.forEach((id, j) => assert.ok(Math.abs(body.logprobs[i]![t]![j]! - row.logp[id]!) < 1e-4));
      });
    }
    assert.ok(extra > 0, 'some actual tokens lie outside the top 3 of a random model');
  });

  test("the client's chunked dispatch (concurrent requests) shares teacher calls; a repeat computes nothing", async () => {
    const chunks = Array.from({ length: 4 }, (_, c) => [ids(10 + c, 100 + c), ids(8, 200 + c)]);
    const body = (seqs: number[][]) => ({
      sequences: seqs,
      prompt_lengths: seqs.map(() => 4),
      top_logprobs: 2,
      temperature: 1.0,
      response_format: 'binary',
    });
    const before = calls();
    const first = await Promise.all(
      chunks.map(async (c) => (await post(url('/get_sequence_logprobs/'), body(c))).json()),
    );
    const used = calls() - before;
    assert.ok(used >= 1 && used < chunks.length, `4 concurrent chunks took ${used} teacher calls`);
    const again = await Promise.all(
      chunks.map(async (c) => (await post(url('/get_sequence_logprobs/'), body(c))).json()),
    );
    assert.equal(calls() - before, used, 'repeated sequences are answered from the store');
    // the actual-token track is stored exactly; top-k values within the store's quantization
    first.forEach((b, i) => assert.equal((again[i] as Binary).actual_logprobs_b64, (b as Binary).actual_logprobs_b64));
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['one prompt length per sequence', { sequences: [[1, 2, 3]], prompt_lengths: [1, 1] }, '/prompt_lengths'],
    [
      'a prompt length past the sequence',
      {
        sequences: [
          [1, 2],
          [1, 2, 3],
        ],
        prompt_lengths: [1, 4],
      },
      '/prompt_lengths/1',
    ],
    [
      'top_logprobs beyond the vocabulary',
      { sequences: [[1, 2, 3]], prompt_lengths: [1], top_logprobs: 1000 },
      '/top_logprobs',
    ],
    ['a sequence longer than the context', { sequences: [ids(300, 9)], prompt_lengths: [1] }, '/sequences/0'],
    ['a token id outside the vocabulary', { sequences: [[1, 2, 3, 999]], prompt_lengths: [1] }, '/sequences/0/3'],
    [
      'an unknown response format',
      { sequences: [[1, 2]], prompt_lengths: [1], response_format: 'xml' },
      '/response_format',
    ],
    ['a temperature of 0', { sequences: [[1, 2]], prompt_lengths: [1], temperature: 0 }, '/temperature'],
  ];
  for (const [what, body, pointer] of bad) {
    test(`refuses ${what}: 422 ${pointer}`, async () => {
      const problem = await problemOf(await post(url('/get_sequence_logprobs/'), body));
      assert.equal(problem.status, 422, problem.detail);
      assert.equal(problem.errors?.[0]?.pointer, pointer, problem.detail);
    });
  }
});
