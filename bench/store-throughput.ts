/**
 * Store insert and export throughput on synthetic rows shaped like the target: each
 * example has 2-class logits and a pooled 768-d hidden state, stored as fp16.
 *
 *   insert   examples/s through addExamples + putOutputs (batches of --batch), against a
 *            baseline in the same run: the same encoded bytes INSERTed into a bare table
 *   export   Parquet rows/s and peak RSS at --rows and at --rows/10 (flat memory means the
 *            two peaks match), against a baseline: reading + decoding the rows without writing
 * Each export runs in its own process so its peak RSS is its own.
 *
 *   npx tsx bench/store-throughput.ts [--rows 100000] [--batch 1000] [--repeat 3]
 *
 * Each export runs --repeat times (alternating formats, so background writeback of one run does
 * not land on the same format every time); the median run is printed with the spread.
 *
 * To profile one export, keep a database and export from it:
 *   npx tsx bench/store-throughput.ts --phase insert --dir /tmp/sb --rows 30000
 *   node --cpu-prof --import tsx bench/store-throughput.ts --phase export --db /tmp/sb/bench.db --out /tmp/sb/out --rows 30000
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { Example, OutputSpec, TeacherOutput } from '../src/core/types.ts';
import { SeededRng } from '../src/core/seeded-rng.ts';
import { encodeTeacherOutput, inputHash, openStore } from '../src/store/index.ts';
import { exportDataset } from '../src/export/index.ts';
import { peakRssMb } from './corpus.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '3' },
    phase: { type: 'string' },
    db: { type: 'string' },
    dataset: { type: 'string' },
    dir: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string', default: 'parquet' },
  },
});

/** CPU seconds since `c0`: on a shared machine, wall time measures the neighbours too. */
const cpuSec = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

const SPEC: OutputSpec = {
  logits: true,
  temperatures: [1, 2],
  hidden: { layers: [12], pooling: 'cls' },
  encoding: 'fp16',
};
const FP = 'sha256:bench-teacher';

function makeBatch(rng: SeededRng, start: number, n: number): { examples: Example[]; outputs: TeacherOutput[] } {
  const examples: Example[] = [];
  const outputs: TeacherOutput[] = [];
  for (let i = start; i < start + n; i++) {
    examples.push({
      id: `ex-${i}`,
      text: `synthetic review number ${i} with a few more words in it`,
      label: i % 2,
      origin: { kind: 'original' },
    });
    const hidden = new Float32Array(768);
    for (let j = 0; j < 768; j++) hidden[j] = rng.next() * 4 - 2;
    outputs.push({
      logits: Float32Array.of(rng.next() * 8 - 4, rng.next() * 8 - 4),
      hidden: [{ layer: 12, pooling: 'cls', value: { data: hidden, shape: [768] } }],
      tokens: 12,
      truncated: false,
    });
  }
  return { examples, outputs };
}

function insertPhase(dir: string, rows: number, batch: number): string {
  const dbPath = path.join(dir, 'bench.db');
  const store = openStore(dbPath);
  store.registerTeacher({
    name: 'bench',
    fingerprint: FP,
    task: 'text-classification',
    labels: ['NEG', 'POS'],
    device: 'cpu',
    dtype: 'fp32',
    maxLength: 128,
    hiddenLayers: 13,
    attentionLayers: 12,
  });
  store.createDataset({ id: 'bench' });
  store.linkTeacher('bench', FP, SPEC);
  const rng = new SeededRng('bench');
  // generate outside the timed loop: the bench measures the store, not the RNG
  const batches = Array.from({ length: Math.ceil(rows / batch) }, (_, b) =>
    makeBatch(rng, b * batch, Math.min(batch, rows - b * batch)),
  );
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (const { examples, outputs } of batches) {
    store.addExamples('bench', examples);
    store.putOutputs(
      FP,
      examples.map((e, i) => ({ inputHash: inputHash(e), output: outputs[i]! })),
      SPEC,
    );
  }
  const storeSec = (performance.now() - t0) / 1000;
  const storeCpu = cpuSec(c0);
  store.close();

  // baseline: the same encoded blobs and example rows into bare tables, same pragmas, same batching
  const raw = new Database(path.join(dir, 'baseline.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE e (id TEXT, text TEXT, h BLOB); CREATE TABLE o (h BLOB, c TEXT, d BLOB)');
  const ie = raw.prepare('INSERT INTO e VALUES (?, ?, ?)');
  const io = raw.prepare('INSERT INTO o VALUES (?, ?, ?)');
  const pre = batches.map(({ examples, outputs }) =>
    examples.map((e, i) => ({
      e,
      hash: Buffer.from(inputHash(e), 'hex'),
      parts: encodeTeacherOutput(outputs[i]!, 'fp16'),
    })),
  );
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (const b of pre) {
    raw.transaction(() => {
      for (const r of b) {
        ie.run(r.e.id, r.e.text, r.hash);
        for (const p of r.parts) io.run(r.hash, p.component, p.blob);
      }
    })();
  }
  const rawSec = (performance.now() - t0) / 1000;
  const rawCpu = cpuSec(c0);
  raw.close();
  console.log(`insert: ${rows} examples (2 logits + 768-d hidden, fp16), batches of ${batch}`);
  console.log(
    `  store (hash + encode + 2 transactions per batch)   ${Math.round(rows / storeSec)} examples/s wall   ${Math.round(rows / storeCpu)} per CPU-second`,
  );
  console.log(
    `  baseline (pre-encoded rows into bare tables)        ${Math.round(rows / rawSec)} examples/s wall   ${Math.round(rows / rawCpu)} per CPU-second   store/baseline (CPU) ${(rawCpu / storeCpu).toFixed(2)}`,
  );
  return dbPath;
}

function exportPhase(db: string, out: string, format: string, limitRows: number): void {
  const store = openStore(db);
  let id = 'bench';
  if (limitRows < store.datasetStats('bench').examples) {
    // a smaller dataset over the same cached outputs, to compare peak memory
    id = `bench-${limitRows}`;
    if (!store.getDataset(id)) {
      store.createDataset({ id });
      const batch: Example[] = [];
      for (const e of store.iterateExamples('bench')) {
        if (e.ordinal >= limitRows) break;
        batch.push(e);
      }
      store.addExamples(id, batch);
      store.linkTeacher(id, FP, SPEC);
    }
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  if (format === 'read-only') {
    for (const r of store.iterateLabelled(id, FP, SPEC)) if (r.output) rows++;
  } else {
    rows = exportDataset(store, id, { format: format as 'parquet', outDir: out }).manifest.rows;
  }
  const sec = (performance.now() - t0) / 1000;
  const cpu = cpuSec(c0);
  store.close();
  console.log(
    JSON.stringify({
      format,
      rows,
      rowsPerSec: Math.round(rows / sec),
      rowsPerCpuSec: Math.round(rows / cpu),
      seconds: +sec.toFixed(2),
      peakRssMb: peakRssMb(),
    }),
  );
}

if (values.phase === 'insert') {
  insertPhase(values.dir!, Number(values.rows), Number(values.batch));
} else if (values.phase === 'export') {
  exportPhase(values.db!, values.out!, values.format!, Number(values.rows));
} else {
  const rows = Number(values.rows);
  const dir = mkdtempSync(path.join(tmpdir(), 'store-bench-'));
  try {
    const db = insertPhase(dir, rows, Number(values.batch));
    type Run = {
      rows: number;
      rowsPerSec: number;
      rowsPerCpuSec: number;
      seconds: number;
      peakRssMb: number;
      spread?: string;
    };
    const once = (format: string, n: number, heapCapMb?: number): Run => {
      const cap = heapCapMb === undefined ? [] : [`--max-old-space-size=${heapCapMb}`];
      const out = execFileSync(process.execPath, [
        ...cap,
        '--import',
        'tsx',
        import.meta.filename,
        '--phase',
        'export',
        '--db',
        db,
        '--out',
        path.join(dir, `out-${format}-${n}`),
        '--format',
        format,
        '--rows',
        String(n),
      ]);
      return JSON.parse(out.toString().trim().split('\n').pop()!);
    };
    const small = Math.max(1, Math.floor(rows / 10));
    // V8 grows its heap lazily, so peak RSS overstates what an export needs: with the old space
    // capped far below the data size the export must still finish (it throws otherwise)
    const plan: [string, string, number, number?][] = [
      ['base', 'read-only', rows],
      ['pq', 'parquet', rows],
      ['pqSmall', 'parquet', small],
      ['js', 'jsonl', small],
      ['st', 'safetensors', rows],
      ['capped', 'parquet', rows, 64],
    ];
    const runs = new Map<string, Run[]>(plan.map(([key]) => [key, []]));
    for (let r = 0; r < Math.max(1, Number(values.repeat)); r++)
      for (const [key, format, n, cap] of plan) runs.get(key)!.push(once(format, n, cap));
    const median = (key: string): Run => {
      const all = [...runs.get(key)!].sort((a, b) => a.rowsPerSec - b.rowsPerSec);
      return {
        ...all[Math.floor(all.length / 2)]!,
        spread: all.length > 1 ? ` (runs ${all.map((x) => x.rowsPerSec).join(', ')})` : '',
      };
    };
    const [base, pq, pqSmall, js, st, capped] = plan.map(([key]) => median(key)) as [Run, Run, Run, Run, Run, Run];
    const line = (label: string, r: Run, extra = ''): void =>
      console.log(
        `  ${label.padEnd(28)} ${String(r.rowsPerSec).padStart(7)} rows/s wall ${String(r.rowsPerCpuSec).padStart(7)} per CPU-second   peak RSS ${r.peakRssMb} MB${extra}${r.spread}`,
      );
    console.log(
      `export: ${rows} rows (id, text, label, origin, logits, probs_t1, probs_t2, hidden_12_cls float16[768]); median of ${values.repeat} runs`,
    );
    line('baseline: read + decode only', base);
    line(`parquet ${rows} rows`, pq, `   parquet/baseline (CPU) ${(pq.rowsPerCpuSec / base.rowsPerCpuSec).toFixed(2)}`);
    line(`parquet ${small} rows`, pqSmall, '   (flat memory: peak close to the line above)');
    line(`parquet ${rows}, 64 MB V8 heap`, capped, '   (completes: memory does not grow with the dataset)');
    line(`safetensors ${rows} rows`, st);
    line(`jsonl ${small} rows`, js);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
