/**
 * How fast a second writer is refused: `distillery run` on a dataset whose lock a live process holds,
 * against the baseline of the same CLI doing the least it can with the same store (`datasets list`), in the
 * same run. The refusal should cost about one CLI start, not a wait on the holder. (This replaces the 20 s
 * budget test/jobs/dataset-lock.test.ts used to assert; the test asserts the behaviour instead.)
 *   npx tsx bench/dataset-lock.ts [--runs 5]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DatasetLock } from '../src/jobs/dataset-lock.ts';
import { openStore } from '../src/store/index.ts';
import { REPO_ROOT, SHARED_DIR } from './corpus.ts';

const run = promisify(execFile);
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
const CLI = path.join(REPO_ROOT, 'bin/distillery.js');

const dir = mkdtempSync(path.join(tmpdir(), 'bench-lock-'));
const db = path.join(dir, 'bench.db');
const job = path.join(dir, 'job.yaml');
const corpus = path.join(SHARED_DIR, 'data/corpora/sst2/dev.jsonl');
writeFileSync(job, `dataset: locked\ncorpus: { path: ${JSON.stringify(corpus)} }\nteachers: [demo]\n`);

async function ms(args: string[], expectFailure: boolean): Promise<number> {
  const t0 = performance.now();
  try {
    await run(process.execPath, [CLI, ...args], { cwd: REPO_ROOT });
    if (expectFailure) throw new Error(`expected ${args.join(' ')} to be refused`);
  } catch (err) {
    if (!expectFailure) throw err;
    if (!/being written by another process/.test((err as { stderr?: string }).stderr ?? ''))
      throw new Error(`refused for another reason: ${(err as { stderr?: string }).stderr}`);
  }
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const store = openStore(db);
store.createDataset({ id: 'locked', spec: null });
const lock = DatasetLock.acquire(store, 'locked', { command: 'bench/dataset-lock.ts' });
try {
  const baseline: number[] = [];
  const refused: number[] = [];
  await ms(['datasets', 'list', '--db', db], false); // warm the file cache
  for (let i = 0; i < runs; i++) {
    baseline.push(await ms(['datasets', 'list', '--db', db], false));
    refused.push(await ms(['run', job, '--db', db, '--progress', 'none'], true));
  }
  const b = median(baseline);
  const r = median(refused);
  console.log(`runs: ${runs}, alternating; medians`);
  console.log(`baseline: distillery datasets list   ${b.toFixed(0)} ms`);
  console.log(`refused:  distillery run (locked)   ${r.toFixed(0)} ms   ${(r / b).toFixed(2)}x the baseline`);
} finally {
  lock.release();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
