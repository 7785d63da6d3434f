/**
 * Cross-request micro-batching of causal-LM teachers, measured over HTTP: N concurrent clients each POST
 * one TRL-shaped request (one distinct token sequence, so never cached: the client's
 * get_sequence_logprobs body with response_format "binary") to /get_sequence_logprobs/, on the same
 * server with merging on vs one teacher call per request (batching.enabled: false), and, for scale,
 * requests whose sequences the store already holds (no teacher call at all).
 *
 *   npx tsx bench/sequence-logprobs-http.ts [--teachers demo-lm,tiny-llama-lm] [--duration 15] [--connections 16]
 *     [--length 128] [--prompt 32] [--top 20] [--wait 5]
 *
 * The llama bench model (`npx tsx src/cli/main.ts models build-bench bench/models --arch llama`) can be
 * named as a path: --teachers bench/models/bench-llama.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { REPO_ROOT } from './corpus.ts';
import { histogramMean, startBenchServer } from './http-server.ts';

const { values } = parseArgs({
  options: {
    teachers: { type: 'string', default: 'demo-lm,tiny-llama-lm' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
    length: { type: 'string', default: '128' },
    prompt: { type: 'string', default: '32' },
    top: { type: 'string', default: '20' },
    wait: { type: 'string', default: '5' },
  },
});
const length = Number(values.length);
const promptLength = Number(values.prompt);

const dirOf = (t: string): string => (t.includes('/') ? path.resolve(t) : path.join(REPO_ROOT, 'models', t));

/** `cached`: merging on, every request one of 32 sequences scored before the run (all store hits) */
async function measure(teacher: string, merged: boolean, cached = false) {
  const name = path.basename(teacher).replace(/[^\w.-]/g, '-');
  const server = await startBenchServer({
    teachers: [{ name, path: dirOf(teacher), maxLength: Math.max(length, 64) }],
    defaultTeacher: name,
    batching: { enabled: merged, maxWaitMs: Number(values.wait), tokenBudget: 16_384, maxBatchTexts: 64 },
    limits: { queueBound: 100_000 },
  });
  try {
    const health = await fetch(`${server.url}/health/`);
    if (health.status !== 200) throw new Error(`teacher ${teacher} did not load: ${await health.text()}`);
    const vocab = 400; // below every fixture vocabulary (demo-lm 421, tiny LMs 495, bench llama 49,152)
    let n = 0;
    // distinct sequences: an LCG over the smallest vocabulary of the fixtures, seeded per request
    const body = () => {
      let x = (cached ? ++n % 32 : ++n) * 7919;
      const sequence = Array.from({ length }, () => (x = (x * 1103515245 + 12345) % 2 ** 31) % vocab);
      return JSON.stringify({
        sequences: [sequence],
        prompt_lengths: [promptLength],
        top_logprobs: Number(values.top),
        temperature: 1.0,
        response_format: 'binary',
      });
    };
    for (let i = 0; i < (cached ? 32 : 3); i++)
      await fetch(`${server.url}/get_sequence_logprobs/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(),
      });
    const r = await autocannon({
      url: `${server.url}/get_sequence_logprobs/`,
      connections: Number(values.connections),
      duration: Number(values.duration),
      pipelining: 1,
      timeout: 120,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (q) => ({ ...q, body: body() }),
        },
      ],
    });
    const metrics = await server.metrics();
    return {
      teacher: name,
      mode: cached ? 'store hits' : merged ? 'merged' : 'per-request',
      rps: r.requests.average,
      tokensPerS: r.requests.average * (length - promptLength),
      p50: r.latency.p50,
      p99: r.latency.p99,
      ok: r['2xx'],
      errors: r.errors + r.timeouts + r.non2xx,
      meanBatch: histogramMean(metrics, 'distillery_teacher_batch_texts', name),
    };
  } finally {
    await server.stop();
  }
}

console.log(
  `# ${values.connections} concurrent clients, one distinct ${length}-token sequence each (prompt ${promptLength}), top ${values.top}, binary, ${values.duration} s per run, merge wait ${values.wait} ms`,
);
console.log(
  'teacher        | mode        | seq/s   | scored tok/s | p50 ms | p99 ms | ok    | errors | seqs/teacher call',
);
for (const teacher of values.teachers.split(',')) {
  const base = await measure(teacher, false);
  const merged = await measure(teacher, true);
  const hits = await measure(teacher, true, true);
  for (const r of [base, merged, hits]) {
    console.log(
      `${r.teacher.padEnd(14)} | ${r.mode.padEnd(11)} | ${r.rps.toFixed(1).padStart(7)} | ${r.tokensPerS.toFixed(0).padStart(12)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${String(r.ok).padStart(5)} | ${String(r.errors).padStart(6)} | ${r.meanBatch.toFixed(1).padStart(17)}`,
    );
  }
  console.log(
    `${teacher}: merged / per-request throughput = ${(merged.rps / base.rps).toFixed(2)}x; store hits / per-request = ${(hits.rps / base.rps).toFixed(2)}x`,
  );
}
