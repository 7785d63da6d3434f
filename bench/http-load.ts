/**
 * Sustained load: C connections for D seconds against /v1/soft-labels (demo teacher, merging on), each
 * request a distinct SST-2 sentence. Passes when every response is 2xx or 429; reports server RSS at the
 * start and end, throughput and latency.
 *
 *   npx tsx bench/http-load.ts [--duration 60] [--connections 64]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { REPO_ROOT, sst2Dev } from './corpus.ts';
import { histogramMean, startBenchServer } from './http-server.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '64' },
    teacher: { type: 'string', default: path.join(REPO_ROOT, 'models/demo-sentiment') },
  },
});
const sentences = sst2Dev().map((r) => r.text);
const server = await startBenchServer({ teachers: [{ name: 'load', path: path.resolve(values.teacher) }] });
try {
  await fetch(`${server.url}/readyz`);
  let n = 0;
  const body = () => JSON.stringify({ inputs: [`${sentences[n % sentences.length]} (${n++})`] });
  for (let i = 0; i < 3; i++)
    await fetch(`${server.url}/v1/soft-labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(),
    });
  const rssStart = server.rssMb();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(server.rssMb()), 5000);
  const r = await autocannon({
    url: `${server.url}/v1/soft-labels`,
    connections: Number(values.connections),
    duration: Number(values.duration),
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: body() }),
      },
    ],
  });
  clearInterval(sampler);
  const rssEnd = server.rssMb();
  const codes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count]));
  const bad = Object.entries(codes).filter(([k]) => !k.startsWith('2') && k !== '429');
  const metrics = await server.metrics();
  console.log(
    `# ${values.connections} connections, ${values.duration} s, teacher ${path.relative(REPO_ROOT, values.teacher)}, merging on`,
  );
  console.log(`throughput: ${r.requests.average.toFixed(1)} req/s (${r['2xx']} ok in ${r.duration.toFixed(1)} s)`);
  console.log(
    `latency: p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`,
  );
  console.log(`status codes: ${JSON.stringify(codes)}; socket errors ${r.errors}, timeouts ${r.timeouts}`);
  console.log(`server RSS: start ${rssStart} MB, end ${rssEnd} MB, samples every 5 s: ${samples.join(' ')}`);
  console.log(
    `texts per model call (mean): ${histogramMean(metrics, 'distillery_teacher_batch_texts', 'load').toFixed(1)}`,
  );
  console.log(
    bad.length === 0 && r.errors === 0 && r.timeouts === 0 ? 'PASS: only 2xx / 429' : `FAIL: ${JSON.stringify(bad)}`,
  );
} finally {
  await server.stop();
}
