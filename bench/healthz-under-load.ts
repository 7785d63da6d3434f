/**
 * /healthz latency while the heaviest requests the limits allow run: augmentation at the cost budget
 * (64 texts x 1,950 characters x 16 variants, synonyms at alpha 1) and soft labels for 64 texts of 4,000
 * characters. Runs the same load against a server with the augmentation worker pool (`workers: N`, default
 * the config's default: cores - 1, at least 1) and, as the baseline in the same run, one that augments on
 * the main thread (`workers: 0`).
 *
 *   node --import tsx bench/healthz-under-load.ts [seconds per mode, default 20] [pool workers]
 */
import { spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { startBenchServer } from './http-server.ts';

const SECONDS = Number(process.argv[2] ?? 20);
// the config's default pool size (src/config.ts)
const POOL_WORKERS = Number(process.argv[3] ?? Math.max(1, Math.min(4, availableParallelism() - 1)));
const WORDS = 'the film was a warm and funny story about good people who love music and long walks in the park ';
const text = (i: number, chars: number) => `${i} ${WORDS.repeat(Math.ceil(chars / WORDS.length))}`.slice(0, chars);
const AUGMENT = JSON.stringify({
  inputs: Array.from({ length: 64 }, (_, i) => text(i, 1950)),
  recipe: { flow: { op: 'synonym', params: { alpha: 1 } }, variants: 16 },
  seed: 1,
});
const SOFT = JSON.stringify({ inputs: Array.from({ length: 64 }, (_, i) => text(i, 4000)) });

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

const PROBE = `
const { get } = require('node:http');
const [url, until] = [process.argv[1], Number(process.argv[2])];
const out = [];
(async () => {
  while (Date.now() < until) {
    const t0 = performance.now();
    // a fresh connection each time: a pooled keep-alive socket the server is just closing would show up
    // as a reset, which is the client's race, not the server's latency
    await new Promise((resolve, reject) =>
      get(url + '/healthz', { agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/** /healthz every 50 ms from a separate process until `until`; the latencies in ms. */
function probeProcess(url: string, until: number): Promise<number[]> {
  const child = spawn(process.execPath, ['-e', PROBE, url, String(until)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`probe exited ${code}`)),
    ),
  );
}

async function run(workers: number) {
  const server = await startBenchServer({ workers });
  const until = Date.now() + SECONDS * 1000;
  const statuses: Record<string, number> = {};
  const client = async (route: string, body: string) => {
    while (Date.now() < until) {
      let key: string;
      try {
        const res = await fetch(`${server.url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        key = `${route} ${res.status}`;
      } catch (err) {
        key = `${route} ${(err as { cause?: { code?: string } }).cause?.code ?? 'error'}`;
      }
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  // The probe runs in its own process: in this one, the load clients' event loop (reading 3.9 MB answers)
  // would delay the probe's callbacks and count as server latency.
  const probe = probeProcess(server.url, until);
  await Promise.all([client('/v1/augment', AUGMENT), client('/v1/augment', AUGMENT), client('/v1/soft-labels', SOFT)]);
  const latencies = await probe;
  const rss = server.rssMb();
  await server.stop();
  return {
    workers,
    n: latencies.length,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    max: Math.max(...latencies),
    rss,
    statuses,
  };
}

console.log(
  `# ${cpus()[0]?.model ?? 'cpu'} x ${availableParallelism()}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, ${SECONDS} s per mode`,
);
const pool = await run(POOL_WORKERS);
const main = await run(0);
const f = (x: number) => x.toFixed(1).padStart(8);
console.log('mode              | healthz n |   p50 ms |   p99 ms |   max ms | RSS MB | answers');
for (const r of [pool, main])
  console.log(
    `${(r.workers ? `pool (${r.workers} threads)` : 'main thread').padEnd(17)} | ${String(r.n).padStart(9)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${String(r.rss).padStart(6)} | ${JSON.stringify(r.statuses)}`,
  );
console.log(`p99 ratio main thread / pool: ${(main.p99 / pool.p99).toFixed(1)}x`);
