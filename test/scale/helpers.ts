/** Real processes for the queue tests: a small SST-2 corpus, job files, workers and exports to compare. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SST2_DEV } from '../jobs/helpers/pipeline-fixture.ts';
import { runCli, startCli, type CliResult } from '../jobs/helpers/cli.ts';

export { runCli, startCli };

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

/** A `distillery worker` with its own local store; its JSON log lines are parsed as they come. */
const live = new Set<ChildProcess>();

/** Kill -9 whatever a failed test left running, so the test process can end. */
export function killLeftovers(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  live.clear();
}

export function startWorker(
  url: string,
  db: string,
  lockMs: number,
  onLog?: (l: LogLine, child: ChildProcess) => void,
): { child: ChildProcess; done: Promise<CliResult>; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const w = startCli(['worker', '--queue', url, '--db', db, '--lock-duration', String(lockMs)], (line, child) => {
    if (!line.startsWith('{')) return;
    const l = JSON.parse(line) as LogLine;
    logs.push(l);
    onLog?.(l, child);
  });
  live.add(w.child);
  return { ...w, logs };
}

export async function stopWorker(w: { child: ChildProcess; done: Promise<CliResult> }): Promise<CliResult> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return await w.done;
}
