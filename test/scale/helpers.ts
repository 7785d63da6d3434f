/**
 * Real processes for the queue tests: a redis-server, a small SST-2 corpus, job files, workers and exports
 * to compare. Every wait on a process is bounded (`within`, `until`): a test that would hang fails instead,
 * saying what it waited for and what each process it started wrote last; and every process it started is
 * killed afterwards (`killLeftovers` in after/afterEach hooks), so `node --test` can end.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { SST2_DEV } from '../jobs/helpers/pipeline-fixture.ts';
import { startCli as spawnCli, type CliProcess, type CliResult } from '../jobs/helpers/cli.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

/**
 * How long one wait may take before the test fails. A guard against a hang, not a timing assertion:
 * generous, since CI runs two test files at once on a loaded machine.
 */
export const GUARD_MS = 4 * 60_000;
/** `test()`'s own timeout, the last resort: above the guards, whose messages say more. */
export const TEST_TIMEOUT_MS = 10 * 60_000;

/** The processes the current test started, running or not, for the tails in a guard's message. */
const started = new Set<CliProcess & { args: string[] }>();

const tail = (text: string, n: number): string => (text.length > n ? `...${text.slice(-n)}` : text);

/** Each process this test started: its command, whether it still runs, the ends of its stderr and stdout. */
export function processTails(): string {
  return [...started]
    .map((p) => {
      const c = p.child;
      const state =
        c.exitCode === null && c.signalCode === null ? 'still running' : `exited (${c.exitCode ?? c.signalCode})`;
      const { stdout, stderr } = p.output();
      return [
        `--- pid ${c.pid} distillery ${p.args.join(' ')}: ${state}`,
        `stderr: ${tail(stderr, 3000) || '(empty)'}`,
        `stdout: ${tail(stdout, 1000) || '(empty)'}`,
      ].join('\n');
    })
    .join('\n');
}

/** `p`, or a failure naming `what` and the processes' output if it takes longer than `ms`. */
export async function within<T>(what: string, p: Promise<T>, ms = GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`gave up after ${ms / 1000} s waiting for ${what}\n${processTails()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `ready` until it holds, within the same guard. */
export async function until(what: string, ready: () => boolean, ms = GUARD_MS): Promise<void> {
  await within(
    what,
    (async () => {
      while (!ready()) await new Promise((r) => setTimeout(r, 50));
    })(),
    ms,
  );
}

export function startCli(args: string[], onStderrLine?: (line: string, child: ChildProcess) => void): CliProcess {
  const p = { ...spawnCli(args, onStderrLine), args };
  started.add(p);
  return p;
}

/** Runs the CLI to its end, within the guard. */
export async function runCli(args: string[]): Promise<CliResult> {
  const p = startCli(args);
  return await within(`distillery ${args.join(' ')} (pid ${p.child.pid}) to exit`, p.done);
}

/** Kill -9 whatever the test left running (SIGKILL ends a SIGSTOPped process too), so the next test and
 * the test process itself can end; then forget them. */
export function killLeftovers(): void {
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  started.clear();
}

/**
 * The redis-server of a test file: started before its tests; after them, every process they started is
 * killed and it stops. The server it returns stands for the one started, so use it in tests and hooks.
 */
export function redisForTests(): RedisServer {
  let redis: RedisServer | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    killLeftovers();
    await redis?.stop();
  });
  const started = (): RedisServer => redis ?? assert.fail('redis-server is not started yet: use it in a test or hook');
  return {
    get port() {
      return started().port;
    },
    get url() {
      return started().url;
    },
    get dir() {
      return started().dir;
    },
    restart: (opts) => started().restart(opts),
    stop: () => started().stop(),
  };
}

/** The first `n` lines of SST-2 dev, as a corpus file of its own (some tests corrupt it). */
export function writeCorpus(dir: string, n: number): string {
  const file = path.join(dir, 'corpus.jsonl');
  const lines = readFileSync(SST2_DEV, 'utf8').split('\n').slice(0, n);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function writeJob(dir: string, name: string, corpus: string, chunkSize: number): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: sst2-queue
corpus: { path: ${JSON.stringify(corpus)} }
recipe: { builtin: eda, variants: 2 }
seed: 5
teachers: [demo]
outputs: { temperatures: [1, 2], topK: 2, encoding: fp16 }
chunkSize: ${chunkSize}
export: [{ format: parquet, out: out-${name} }, { format: jsonl, out: out-${name} }]
`,
  );
  return file;
}

/** `distillery run` of the job `plain` on `corpus` (chunks of 20), the export the other runs must equal. */
export async function runPlain(dir: string, corpus: string): Promise<void> {
  const plain = await runCli([
    'run',
    writeJob(dir, 'plain', corpus, 20),
    '--db',
    path.join(dir, 'plain.db'),
    '--progress',
    'none',
  ]);
  assert.equal(plain.code, 0, plain.stderr);
}

/**
 * sha256 of each data file of the export directories (manifests name the command line, which differs),
 * keyed `FORMAT/file`, FORMAT the directory name after its last '-': a run's exports, `NAME-FORMAT` each,
 * compare equal to another run's.
 */
export function exportSha256(...outs: string[]): Record<string, string> {
  return Object.fromEntries(
    outs.flatMap((out) =>
      readdirSync(out)
        .filter((f) => !f.endsWith('.manifest.json'))
        .sort()
        .map((f) => [
          `${path.basename(out).split('-').pop()}/${f}`,
          createHash('sha256')
            .update(readFileSync(path.join(out, f)))
            .digest('hex'),
        ]),
    ),
  );
}

/** The export's data files and its manifest without the command line (which names --queue). */
export function exported(dir: string, name: string): { files: Map<string, Buffer>; manifests: unknown[] } {
  const files = new Map<string, Buffer>();
  const manifests: unknown[] = [];
  for (const format of ['parquet', 'jsonl']) {
    const out = path.join(dir, `out-${name}`);
    const m = JSON.parse(readFileSync(path.join(out, `sst2-queue.${format}.manifest.json`), 'utf8')) as {
      files: { path: string }[];
      command?: string;
    };
    for (const f of m.files) files.set(f.path, readFileSync(path.join(out, f.path)));
    delete m.command;
    manifests.push(m);
  }
  return { files, manifests };
}

export function assertSameExport(dir: string, a: string, b: string): void {
  const x = exported(dir, a);
  const y = exported(dir, b);
  assert.deepEqual([...x.files.keys()], [...y.files.keys()]);
  for (const [name, bytes] of x.files)
    assert.ok(bytes.equals(y.files.get(name)!), `${name} differs between ${a} and ${b}`);
  assert.deepEqual(x.manifests, y.manifests);
}

export interface LogLine {
  event?: string;
  job?: string;
  chunk?: number;
  worker?: string;
  [k: string]: unknown;
}

export type WorkerProcess = CliProcess & { logs: LogLine[] };

/** A `distillery worker` with its own local store (and `args`, e.g. --config); its JSON log lines are parsed as they come. */
export function startWorker(
  url: string,
  db: string,
  lockMs: number,
  onLog?: (l: LogLine, child: ChildProcess) => void,
  args: readonly string[] = [],
): WorkerProcess {
  const logs: LogLine[] = [];
  const argv = ['worker', '--queue', url, '--db', db, '--lock-duration', String(lockMs), ...args];
  const w = startCli(argv, (line, child) => {
    if (!line.startsWith('{')) return;
    const l = JSON.parse(line) as LogLine;
    logs.push(l);
    onLog?.(l, child);
  });
  return { ...w, logs };
}

/** Two workers, `worker-0.db` and `worker-1.db` in `dir`, with a lock of 30 s (and `args`). */
export const startTwoWorkers = (url: string, dir: string, args: readonly string[] = []): WorkerProcess[] =>
  [0, 1].map((i) => startWorker(url, path.join(dir, `worker-${i}.db`), 30_000, undefined, args));

/** The workers' `chunk-done` log lines. */
export const doneLines = (workers: readonly WorkerProcess[]): LogLine[] =>
  workers.flatMap((w) => w.logs).filter((l) => l.event === 'chunk-done');

/** The chunks the workers logged done, each once (a stalled lock may run one twice), sorted. */
export const doneChunks = (workers: readonly WorkerProcess[]): (number | undefined)[] =>
  [...new Set(doneLines(workers).map((l) => l.chunk))].sort();

/** SIGTERM: the worker finishes the chunk in flight and exits, within the guard. */
export async function stopWorker(w: CliProcess): Promise<CliResult> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return await within(`worker pid ${w.child.pid} to exit after SIGTERM`, w.done);
}
