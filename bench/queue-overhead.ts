/**
 * Queue overhead and scaling: the same label job through plain `distillery run`, through `run --queue` with
 * one worker, and with two workers (one teacher thread each), all on a real redis-server started here.
 * Each figure is the wall time of the command a user types (process start, corpus scan, model load,
 * labelling, store, export); workers are started and idle before their coordinator starts. Rounds
 * alternate the three modes so a shared machine's drift hits each alike; medians are reported.
 * Also times the finalize merge alone (parts -> store) on the 2-worker run's parts.
 *
 *   npx distillery models build-bench bench/models     # once: the BERT-base-shaped teacher (not committed)
 *   npx tsx bench/queue-overhead.ts [--model bench/models/bench-bert-base] [--dtype q8] [--limit 400] [--chunk 25] [--rounds 3] [--corpus dev|train|FILE]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/helpers/redis-server.ts';
import { REPO_ROOT, SHARED_DIR } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'bench/models/bench-bert-base') },
    dtype: { type: 'string', default: 'q8' },
    limit: { type: 'string', default: '400' },
    chunk: { type: 'string', default: '25' },
    rounds: { type: 'string', default: '3' },
    /** an SST-2 split (dev: 872 sentences, train: 67,349) or a JSONL path */
    corpus: { type: 'string', default: 'dev' },
  },
});

const CLI = path.join(REPO_ROOT, 'bin/distillery.js');
const dir = mkdtempSync(path.join(tmpdir(), 'distillery-queue-bench-'));
const corpus = path.join(dir, 'corpus.jsonl');
const corpusSource = /^(dev|train)$/.test(values.corpus)
  ? path.join(SHARED_DIR, `data/corpora/sst2/${values.corpus}.jsonl`)
  : path.resolve(values.corpus);
const lines = readFileSync(corpusSource, 'utf8').split('\n');
writeFileSync(corpus, `${lines.slice(0, Number(values.limit)).join('\n')}\n`);
const config = path.join(dir, 'config.yaml');
writeFileSync(
  config,
  `teachers: [{ name: bench, path: ${JSON.stringify(path.resolve(values.model))}, dtype: ${values.dtype}, device: cpu, threads: 1 }]\n`,
);

function jobFile(name: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: bench-${name.replace(/[^a-z0-9]/g, '')}\ncorpus: { path: ${JSON.stringify(corpus)} }\nteachers: [bench]\n` +
      `outputs: { temperatures: [1, 2], encoding: fp16 }\nchunkSize: ${values.chunk}\nexport: [{ format: parquet, out: out-${name} }]\n`,
  );
  return file;
}

function run(args: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    c.on('close', (code) =>
      code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`${args.join(' ')}: ${err}`)),
    );
  });
}

/** chunk runs per worker, from the workers' JSON logs: more runs than chunks means stalled locks */
const chunkRuns: string[] = [];

/**
 * Rows/s once every worker has loaded its teacher and done its first chunk: from the first moment all
 * workers are warm to the last chunk's end, counting the chunks that ended inside that window. This is
 * the rate a long job runs at; the whole-command times above also carry the fixed part (process start,
 * plan, model load, finalize, export) that a 400-row job cannot amortize.
 */
function steadyRate(runs: string[]): number {
  const done = runs.map((l) => JSON.parse(l) as { time: number; worker: string; examples: number });
  const firstDone = new Map<string, number>();
  for (const d of done) firstDone.set(d.worker, Math.min(firstDone.get(d.worker) ?? Infinity, d.time));
  const warm = Math.max(...firstDone.values());
  const end = Math.max(...done.map((d) => d.time));
  const rows = done.filter((d) => d.time > warm).reduce((n, d) => n + d.examples, 0);
  return end > warm ? rows / ((end - warm) / 1000) : NaN;
}

function startWorker(url: string, db: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--config', config, '--db', db], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let pending = '';
  return new Promise((resolve) =>
    c.stderr!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        if (l.includes('"worker-start"')) resolve(c);
        if (l.includes('"chunk-done"')) chunkRuns.push(l);
      }
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const redis = await startRedis();
const times: Record<string, number[]> = { plain: [], queue1: [], queue2: [] };
const steady: Record<string, number[]> = { queue1: [], queue2: [] };
let lastParts = '';
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const tag = `r${round}`;
    times.plain!.push(
      await run([
        'run',
        jobFile(`plain${tag}`),
        '--config',
        config,
        '--db',
        path.join(dir, `plain${tag}.db`),
        '--progress',
        'none',
      ]),
    );
    for (const n of [1, 2]) {
      const name = `queue${n}${tag}`;
      const workers = await Promise.all(
        Array.from({ length: n }, (_, i) => startWorker(redis.url, path.join(dir, `${name}-w${i}.db`))),
      );
      lastParts = path.join(dir, `parts-${name}`);
      const job = jobFile(name);
      const args = ['run', job, '--config', config, '--db', path.join(dir, `${name}.db`), '--queue', redis.url];
      chunkRuns.length = 0;
      times[`queue${n}`]!.push(await run([...args, '--parts', lastParts, '--progress', 'none']));
      for (const w of workers) w.kill('SIGTERM');
      steady[`queue${n}`]!.push(steadyRate(chunkRuns));
      const chunks = Math.ceil(Number(values.limit) / Number(values.chunk));
      if (chunkRuns.length !== chunks)
        console.log(`  ${n} workers: ${chunkRuns.length} chunk runs for ${chunks} chunks`);
    }
    console.log(
      `round ${round}: plain ${times.plain!.at(-1)!.toFixed(2)} s, 1 worker ${times.queue1!.at(-1)!.toFixed(2)} s, 2 workers ${times.queue2!.at(-1)!.toFixed(2)} s; ` +
        `steady ${steady.queue1!.at(-1)!.toFixed(1)} / ${steady.queue2!.at(-1)!.toFixed(1)} rows/s`,
    );
  }
  const p = median(times.plain!);
  const q1 = median(times.queue1!);
  const q2 = median(times.queue2!);
  console.log(
    `records ${values.limit}, chunk ${values.chunk}, teacher ${path.basename(values.model)} ${values.dtype}, 1 thread per process`,
  );
  console.log(`median plain run      ${p.toFixed(2)} s`);
  console.log(
    `median 1 worker       ${q1.toFixed(2)} s  (${(((q1 - p) / p) * 100).toFixed(1)}% vs plain; target <= 5%)`,
  );
  console.log(`median 2 workers      ${q2.toFixed(2)} s  (${(q1 / q2).toFixed(2)}x one worker; target >= 1.8x)`);
  const s1 = median(steady.queue1!);
  const s2 = median(steady.queue2!);
  console.log(
    `median steady rate    1 worker ${s1.toFixed(1)} rows/s, 2 workers ${s2.toFixed(1)} rows/s (${(s2 / s1).toFixed(2)}x)`,
  );
  console.log(`parts of the last run: ${readdirSync(lastParts).length} files`);
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
