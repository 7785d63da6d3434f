/** Real processes: a writer killed with SIGKILL mid-run, and two writers on one file at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('store-crash-');
const WRITER = join(import.meta.dirname, '../helpers/store-writer.ts');
const spec = {
  logits: true,
  temperatures: [1],
  hidden: { layers: [12], pooling: 'cls' as const },
  encoding: 'fp16' as const,
};

interface Run {
  committed: [number, number];
  /** with { barrier: true }: resolves once the writer has opened the store; go() lets it write */
  ready: Promise<void>;
  go(): void;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  onCommit(fn: (examples: number, outputs: number) => void): void;
}

function startWriter(args: string[], opts: { barrier?: boolean } = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], {
    stdio: [opts.barrier ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, STORE_WRITER_BARRIER: opts.barrier ? '1' : '0' },
  });
  let markReady = (): void => {};
  const run: Run = {
    committed: [0, 0],
    ready: new Promise((resolve) => (markReady = resolve)),
    go: () => child.stdin?.end('go\n'),
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: () => child.kill('SIGKILL'),
    onCommit: (fn) => listeners.push(fn),
  };
  const listeners: ((e: number, o: number) => void)[] = [];
  let buf = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      if (buf.slice(0, nl) === 'ready') markReady();
      const m = /^committed (\d+) (\d+)$/.exec(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (m) {
        run.committed = [Number(m[1]), Number(m[2])];
        for (const fn of listeners) fn(run.committed[0], run.committed[1]);
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (run.stderr += c.toString()));
  return run;
}

test('kill -9 mid-run: integrity ok, no partial batch, counts match what was committed', async () => {
  const path = join(dir, 'crash.db');
  const size = 400;
  const writer = startWriter([path, 'crash', '1000', String(size)]);
  // kill while a later batch is in flight: after several commits, at an odd moment
  writer.onCommit((e) => {
    if (e >= 6 * size) setTimeout(() => writer.kill(), 7);
  });
  const { signal } = await writer.exit;
  assert.equal(signal, 'SIGKILL', writer.stderr);
  const [reportedExamples, reportedOutputs] = writer.committed;
  assert.ok(reportedExamples >= 6 * size);

  const store = openStore(path);
  assert.equal(store.integrityCheck(), 'ok');
  const stats = store.datasetStats('crash');
  // the writer may have committed one more transaction than it lived to print
  assert.ok(
    stats.examples === reportedExamples || stats.examples === reportedExamples + size,
    `examples ${stats.examples} vs ${reportedExamples}`,
  );
  assert.equal(stats.examples % size, 0, 'no partial example batch');
  const outputs = store.countOutputs();
  assert.equal(outputs % (2 * size), 0, 'no partial output batch (2 components per example)');
  assert.ok(
    outputs / 2 === reportedOutputs || outputs / 2 === reportedOutputs + size,
    `outputs ${outputs / 2} vs ${reportedOutputs}`,
  );
  // every stored row decodes
  let decoded = 0;
  store.linkTeacher('crash', 'fp-writer', spec);
  for (const row of store.iterateLabelled('crash', 'fp-writer', spec)) if (row.output) decoded++;
  assert.equal(decoded, outputs / 2);
  // and the file takes new writes
  store.addExamples('crash', [{ id: 'after', text: 'after the crash', origin: { kind: 'original' } }]);
  store.close();
});

test('two writer processes on one file at once: no SQLITE_BUSY reaches them, nothing lost', async () => {
  const path = join(dir, 'concurrent.db');
  const size = 200;
  const batches = 15;
  // both write overlapping content-addressed outputs (same texts) into their own datasets
  const a = startWriter([path, 'writer-a', String(batches), String(size), 'shared'], { barrier: true });
  const b = startWriter([path, 'writer-b', String(batches), String(size), 'shared'], { barrier: true });
  const spans = [a, b].map((w) => {
    const span = { first: Infinity, last: 0 };
    w.onCommit(() => {
      span.first = Math.min(span.first, performance.now());
      span.last = performance.now();
    });
    return span;
  });
  // both processes take seconds to start on a busy machine: release them together
  await Promise.all([a.ready, b.ready]);
  a.go();
  b.go();
  // and this process reads meanwhile
  const reader = openStore(join(dir, 'concurrent.db'));
  let reads = 0;
  const poll = setInterval(() => {
    for (const d of reader.listDatasets()) reader.datasetStats(d.id);
    reads++;
  }, 20);
  const [ea, eb] = await Promise.all([a.exit, b.exit]);
  clearInterval(poll);
  assert.equal(ea.code, 0, a.stderr);
  assert.equal(eb.code, 0, b.stderr);
  assert.doesNotMatch(a.stderr + b.stderr, /BUSY|locked/i);
  assert.ok(reads > 0);
  // the two writers really overlapped in time (otherwise this test proves nothing)
  assert.ok(spans[0]!.first < spans[1]!.last && spans[1]!.first < spans[0]!.last, JSON.stringify(spans));
  assert.equal(reader.integrityCheck(), 'ok');
  assert.equal(reader.datasetStats('writer-a').examples, batches * size);
  assert.equal(reader.datasetStats('writer-b').examples, batches * size);
  // shared texts -> shared rows: one logits + one hidden row per distinct text
  assert.equal(reader.countOutputs(), 2 * batches * size);
  reader.close();
});
