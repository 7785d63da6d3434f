/**
 * Cross-request micro-batching, measured: N concurrent clients each POST one (distinct, so never cached)
 * SST-2 sentence to /v1/soft-labels; the same server with merging on vs one model call per request.
 * Meanwhile a probe GETs /healthz one request at a time (every 50 ms) and reports its latency: with
 * the teacher's session on the main thread (--threads main) a model call holds every route up.
 *
 *   npx tsx bench/http-batching.ts [--teachers demo,bert-base] [--duration 20] [--connections 32] [--threads worker,main] [--device cpu]
 *
 * bert-base needs `npx tsx src/cli/main.ts models build-bench bench/models` first.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { REPO_ROOT, sst2Dev } from './corpus.ts';
import { histogramMean, startBenchServer } from './http-server.ts';

const { values } = parseArgs({
  options: {
    teachers: { type: 'string', default: 'demo,bert-base' },
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
    wait: { type: 'string', default: '5' },
    /** where each teacher's session runs: worker (default), main, or both to compare */
    threads: { type: 'string', default: 'worker' },
    /** the teacher's device: cpu, webgpu, cuda, auto */
    device: { type: 'string', default: 'cpu' },
    /** padded tokens per batch inside the teacher engine (smaller: less padding on CPU) */
    'teacher-budget': { type: 'string' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

const TEACHERS: Record<string, string> = {
  demo: path.join(REPO_ROOT, 'models/demo-sentiment'),
  'bert-base': path.join(REPO_ROOT, 'bench/models/bench-bert-base'),
};

const sentences = sst2Dev().map((r) => r.text);

/** GET /healthz back to back (50 ms apart) until stopped; latencies in ms. */
function healthProbe(url: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await (await fetch(`${url}/healthz`)).text();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function measure(teacher: string, merged: boolean, thread: string) {
  const dir = TEACHERS[teacher]!;
  if (!existsSync(dir))
    throw new Error(`${dir} is missing: run npx tsx src/cli/main.ts models build-bench bench/models`);
  const server = await startBenchServer({
    teachers: [
      {
        name: teacher,
        path: dir,
        thread,
        device: values.device,
        ...(values['teacher-budget'] ? { tokenBudget: Number(values['teacher-budget']) } : {}),
      },
    ],
    batching: { enabled: merged, maxWaitMs: Number(values.wait), tokenBudget: 8192, maxBatchTexts: 64 },
    limits: { queueBound: 100_000 },
  });
  try {
    await fetch(`${server.url}/readyz`);
    let n = 0;
    const body = () => JSON.stringify({ inputs: [`${sentences[n % sentences.length]} (${n++})`] });
    // warm-up: first model calls allocate
    for (let i = 0; i < 3; i++)
      await fetch(`${server.url}/v1/soft-labels`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(),
      });
    const probe = healthProbe(server.url);
    const r = await autocannon({
      url: `${server.url}/v1/soft-labels`,
      connections,
      duration,
      pipelining: 1,
      timeout: 60,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: body() }),
        },
      ],
    });
    const health = await probe.stop();
    // Calls still in the model when the run ended count too: wait for the queue to drain.
    let metrics = await server.metrics();
    while (!new RegExp(`^distillery_queue_depth\\{teacher="${teacher}"\\} 0$`, 'm').test(metrics)) {
      await new Promise((r) => setTimeout(r, 200));
      metrics = await server.metrics();
    }
    return {
      teacher,
      thread,
      mode: merged ? 'merged' : 'per-request',
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      ok: r['2xx'],
      errors: r.errors + r.timeouts + r.non2xx,
      meanBatch: histogramMean(metrics, 'distillery_teacher_batch_texts', teacher),
      healthP50: quantile(health, 0.5),
      healthP99: quantile(health, 0.99),
      healthMax: Math.max(...health),
      healthN: health.length,
    };
  } finally {
    await server.stop();
  }
}

console.log(
  `# ${connections} concurrent clients, one distinct text each, ${duration} s per run, merge wait ${values.wait} ms, teacher token budget ${values['teacher-budget'] ?? 'engine default (2048, padding <= 20%)'}`,
);
console.log(
  'teacher    | thread | mode        | req/s   | p50 ms | p99 ms | ok     | errors | texts/model call | healthz p50 / p99 / max ms (n)',
);
const ms = (x: number) => x.toFixed(0);
for (const teacher of values.teachers.split(',')) {
  for (const thread of values.threads.split(',')) {
    const base = await measure(teacher, false, thread);
    const merged = await measure(teacher, true, thread);
    for (const r of [base, merged]) {
      console.log(
        `${r.teacher.padEnd(10)} | ${r.thread.padEnd(6)} | ${r.mode.padEnd(11)} | ${r.rps.toFixed(1).padStart(7)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${String(r.ok).padStart(6)} | ${String(r.errors).padStart(6)} | ${r.meanBatch.toFixed(1).padStart(16)} | ${ms(r.healthP50)} / ${ms(r.healthP99)} / ${ms(r.healthMax)} (${r.healthN})`,
      );
    }
    console.log(`${teacher} (${thread}): merged / per-request throughput = ${(merged.rps / base.rps).toFixed(2)}x`);
  }
}
