/**
 * Finalize speed: the job's parts -> its dataset, the step that cannot scale out. Writes --rows synthetic
 * rows (SST-2-length texts, 2-class logits at fp16, T = 1, 2) as parts of --chunk rows, then times, in
 * interleaved rounds (medians printed):
 *   - old merge: mergeParts of the commit --baseline-ref (checked out with `git archive` into .tmp/), into
 *     a fresh store;
 *   - new merge, each chunk its own transaction (what multi-row INSERTs of the stored blobs alone give);
 *   - new merge (several chunks per transaction, the default);
 *   - export-only: the job's Parquet written straight from the parts (no store), against the store path's
 *     merge + the same export from the merged store; the two Parquet files must hash the same;
 *   - the scan `run --parts DIR` makes first (every part read and hashed), and the parts reader alone.
 *
 *   npx tsx bench/finalize-merge.ts [--rows 100000] [--chunk 1000] [--rounds 3] [--baseline-ref 13ad045]
 * Each line also gives the median process CPU time of the step (user + system, every thread): on a loaded
 * machine it tells whether the part reader thread ran beside the merge (CPU above wall time) or not.
 * Profile one merge: node --import tsx --cpu-prof bench/finalize-merge.ts --rounds 1 --baseline-ref ''
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exportJobTargets, type JobSpec } from '../src/jobs/index.ts';
import { exportFromParts } from '../src/jobs/scale/export-from-parts.ts';
import { mergeParts, type ChunkResult } from '../src/jobs/scale/finalize.ts';
import { orderedResults } from '../src/jobs/scale/chunk-parts.ts';
import { PartsDatasetReader } from '../src/jobs/scale/parts-reader.ts';
import { listParts } from '../src/jobs/scale/parts-dir.ts';
import { openStore } from '../src/store/index.ts';
import { REPO_ROOT } from './corpus.ts';
import { writeSyntheticParts } from './synthetic-parts.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    chunk: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    // the commit before the finalize speed-up of issue 16
    'baseline-ref': { type: 'string', default: '13ad045' },
  },
});
const rows = Number(values.rows);
const chunk = Number(values.chunk);
const rounds = Number(values.rounds);
const ref = values['baseline-ref']!;
const dir = mkdtempSync(path.join(tmpdir(), 'distillery-merge-bench-'));

type Merge = (store: unknown, job: JobSpec, partsDir: string, results: readonly ChunkResult[]) => unknown;
interface Baseline {
  label: string;
  open: (file: string) => { close(): void };
  merge: Merge;
}

/** The finalize code of `ref`, from `git archive` into .tmp/ (inside the repo, so node_modules resolve). */
async function loadBaseline(): Promise<Baseline | undefined> {
  if (!ref) return undefined;
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const root = path.join(REPO_ROOT, '.tmp', `finalize-baseline-${sha}`);
  if (!existsSync(path.join(root, 'src'))) {
    mkdirSync(root, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} src | tar -x -C "${root}"`], { cwd: REPO_ROOT });
  }
  const url = (f: string) => pathToFileURL(path.join(root, f)).href;
  const store = (await import(url('src/store/index.ts'))) as { openStore: (f: string) => { close(): void } };
  const fin = (await import(url('src/jobs/scale/finalize.ts'))) as { mergeParts: Merge };
  return { label: `old merge (${sha})`, open: store.openStore, merge: fin.mergeParts };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const parquetOf = (out: string) =>
  sha256(
    path.join(
      out,
      readdirSync(out).find((f) => f.endsWith('.parquet'))!,
    ),
  );
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** process CPU seconds of each timed step, by the key of its wall time (the reader threads count too) */
const cpu: Record<string, number[]> = {};
let lastCpu = 0;
const time = (f: () => void): number => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  lastCpu = (c.user + c.system) / 1e6;
  return (performance.now() - t0) / 1000;
};

try {
  const { job, results } = writeSyntheticParts(dir, rows, chunk);
  const partsDir = path.join(dir, 'parts');
  const target = job.export[0]!;
  const withOut = (out: string): JobSpec => ({ ...job, export: [{ ...target, out: path.join(dir, out) }] });
  const baseline = await loadBaseline();
  const t: Record<string, number[]> = {};
  const add = (k: string, s: number) => {
    (t[k] ??= []).push(s);
    (cpu[k] ??= []).push(lastCpu);
  };
  let identical = true;
  for (let round = 0; round < rounds; round++) {
    const fresh = (name: string) => path.join(dir, `${name}-${round}.db`);
    if (baseline) {
      const s = baseline.open(fresh('old'));
      add(
        'old',
        time(() => baseline.merge(s, job, partsDir, results)),
      );
      s.close();
    }
    let s = openStore(fresh('per-chunk'));
    add(
      'perChunk',
      time(() => mergeParts(s, job, partsDir, results, { groupRows: 1 })),
    );
    s.close();
    s = openStore(fresh('new'));
    add(
      'merge',
      time(() => mergeParts(s, job, partsDir, results)),
    );
    const store = s;
    add(
      'storeExport',
      time(() => exportJobTargets(store, withOut('out-store'), job.dataset, 'bench')),
    );
    s.close();
    add(
      'exportOnly',
      time(() => exportFromParts(withOut('out-parts'), partsDir, results, 'bench')),
    );
    identical &&= parquetOf(path.join(dir, 'out-store')) === parquetOf(path.join(dir, 'out-parts'));
    add(
      'scan',
      time(() => listParts(partsDir)),
    );
    const { sorted, infos } = orderedResults(results);
    const reader = new PartsDatasetReader(job, partsDir, sorted, infos);
    const spec = reader.datasetTeachers(job.dataset)[0]!.spec;
    add(
      'read',
      time(() => {
        for (const _ of reader.iterateLabelled(job.dataset, infos[0]!.fingerprint, spec));
      }),
    );
    for (const f of readdirSync(dir)) if (f.endsWith('.db') || f.includes('.db-')) rmSync(path.join(dir, f));
  }
  const line = (label: string, k: string, n = rows, note = '') => {
    if (!t[k]) return;
    const s = median(t[k]);
    const each = t[k].map((x) => x.toFixed(2)).join(', ');
    const c = cpu[k] ? ` cpu ${median(cpu[k]).toFixed(2)} s` : '';
    console.log(
      `${label.padEnd(36)} ${s.toFixed(2).padStart(6)} s ${Math.round(n / s)
        .toLocaleString('en')
        .padStart(9)} rows/s  [${each}]${c}${note}`,
    );
  };
  console.log(`${rows} rows in ${results.length} parts of ${chunk}; medians of ${rounds} interleaved rounds [each]`);
  if (baseline) line(baseline.label, 'old', rows, ' (target >= 100,000)');
  line('new merge, one transaction per chunk', 'perChunk');
  line('new merge (50,000 rows per commit)', 'merge', rows, ' (target >= 100,000)');
  line('store export (Parquet, merged store)', 'storeExport');
  const total = (t.merge ?? []).map((m, i) => m + t.storeExport![i]!);
  t.storePath = total;
  cpu.storePath = (cpu.merge ?? []).map((m, i) => m + cpu.storeExport![i]!);
  line('store path: merge + export', 'storePath');
  line(
    'export-only: parts -> Parquet',
    'exportOnly',
    rows,
    identical ? ' (same sha256 as the store path)' : ' (DIFFERS)',
  );
  line('parts reader alone (decoded rows)', 'read');
  line('parts-dir scan (run --parts DIR)', 'scan');
  if (!identical) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
