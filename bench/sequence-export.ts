/**
 * Parquet export of causal-LM targets in DistillKit's schema (issue 14: >= 100,000 positions/s),
 * with a same-run floor: the same token_ids + top_values bytes written raw through the same FileSink
 * (writer thread + sha256), i.e. what any format must pay for the I/O.
 *
 *   memory   rows already decoded (what the export costs on its own)
 *   store    hashes -> SQLite read + codec decode -> Parquet, two ways: getMany's decoded rows copied
 *            into the pages (the path before), and storedSequenceRows, whose top-k rows are decoded
 *            straight into the token_ids / top_values page bytes (the export's path)
 *
 *   npx tsx bench/sequence-export.ts [--positions 200000] [--seq 512] [--k 128] [--vocab 151936] [--repeat 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRng } from '../src/core/seeded-rng.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../src/core/sequence-types.ts';
import { FileSink } from '../src/export/byte-sink.ts';
import { exportSequencesParquet, type SequenceExportRow } from '../src/export/sequence-parquet.ts';
import { storedSequenceRows } from '../src/export/sequence-rows.ts';
import { openStore, SequenceOutputs } from '../src/store/index.ts';
import { poolRow, sequence } from './sequence-pool.ts';

const { values } = parseArgs({
  options: {
    positions: { type: 'string', default: '200000' },
    seq: { type: 'string', default: '512' },
    k: { type: 'string', default: '128' },
    vocab: { type: 'string', default: '151936' },
    pool: { type: 'string', default: '128' },
    repeat: { type: 'string', default: '3' },
    /** run only the paths whose name contains this */
    only: { type: 'string', default: '' },
  },
});
const K = Number(values.k);
const SEQ = Number(values.seq);
const SHAPE = { vocab: Number(values.vocab), k: K, draws: 50 };
const SEQUENCES = Math.ceil(Number(values.positions) / SEQ);
const FP = 'sha256:bench-causal-teacher';
const REPEAT = Number(values.repeat);

const cpuSec = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

/**
 * Runs `fn` once to warm up, then --repeat times, and prints the median run: a first run also pays
 * for JIT compilation, which a long export does not.
 */
function timed(name: string, positions: number, fn: () => number): void {
  if (!name.includes(values.only)) return;
  const runs: { wall: number; cpu: number; bytes: number }[] = [];
  fn(); // warm-up, not counted
  for (let r = 0; r < REPEAT; r++) {
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    const bytes = fn();
    runs.push({ wall: (performance.now() - w0) / 1000, cpu: cpuSec(c0), bytes });
  }
  runs.sort((a, b) => a.wall - b.wall);
  const { wall, cpu, bytes } = runs[Math.floor(runs.length / 2)]!;
  // CPU seconds include the writer thread; on a shared machine they say more than wall time
  const rate = (sec: number): string => Math.round(positions / sec).toLocaleString('en-US');
  console.log(
    `${name.padEnd(52)} ${rate(wall).padStart(9)} positions/s, ${rate(cpu)} per CPU-s ` +
      `(median of ${REPEAT}: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU, ${(bytes / 2 ** 20).toFixed(0)} MiB; ` +
      `runs ${runs.map((r) => rate(r.wall)).join(' / ')})`,
  );
}

const dirBytes = (files: { bytes: number }[]): number => files.reduce((n, f) => n + f.bytes, 0);

const dir = mkdtempSync(path.join(tmpdir(), 'sequence-export-bench-'));
try {
  const rng = new SeededRng('sequence-export-bench');
  const pool = Array.from({ length: Number(values.pool) }, () => poolRow(rng, SHAPE));
  const positions = SEQUENCES * (SEQ + 1);
  console.log(`${SEQUENCES} sequences x ${SEQ + 1} positions, k=${K}, vocabulary ${SHAPE.vocab}`);
  const specs: [string, SequenceOutputSpec][] = [
    [`topk:${K}`, { temperature: 1, topK: K }],
    [`topk:${K} + samples + target`, { temperature: 1, topK: K, samples: { draws: 50 }, target: true }],
  ];
  for (const [label, spec] of specs) {
    const seqRng = new SeededRng(label);
    const made: SequenceTargets[] = Array.from({ length: SEQUENCES }, () => sequence(seqRng, pool, spec, SEQ, SHAPE));
    const rows = (): SequenceExportRow[] => made.map((targets, i) => ({ id: `s${i}`, targets }));

    timed(`floor: raw ids + values through FileSink (${label})`, positions, () => {
      const sink = new FileSink(path.join(dir, 'raw.bin'));
      for (const t of made) {
        const n = t.tokenIds.length * K;
        sink.write(new Uint8Array(new Int32Array(n).buffer));
        sink.write(new Uint8Array(new Float32Array(n).buffer));
      }
      return sink.close().bytes;
    });
    for (const compression of ['none', 'snappy'] as const)
      timed(`memory -> parquet, ${compression} (${label})`, positions, () => {
        const res = exportSequencesParquet(rows(), {
          outDir: path.join(dir, compression),
          prefix: 'b',
          spec,
          compression,
        });
        return dirBytes(res.files);
      });

    const store = openStore(path.join(dir, `${label.length}.db`));
    for (let i = 0; i < made.length; i += 16)
      store.sequences.put(
        FP,
        SHAPE.vocab,
        made.slice(i, i + 16).map((targets) => ({ targets, spec })),
      );
    const hashes = made.map((t) => SequenceOutputs.hash(t));
    // the path before the top-k rows were decoded in place: whole SequenceTargets first, then copied
    timed(`store -> decoded rows -> parquet, none (${label})`, positions, () => {
      function* fromStore(): Generator<SequenceExportRow> {
        for (let i = 0; i < hashes.length; i += 64) {
          const got = store.sequences.getMany(FP, hashes.slice(i, i + 64), spec);
          for (let j = 0; j < got.length; j++) yield { id: `s${i + j}`, targets: got[j]! };
        }
      }
      const res = exportSequencesParquet(fromStore(), {
        outDir: path.join(dir, 'store'),
        prefix: 'b',
        spec,
        compression: 'none',
      });
      return dirBytes(res.files);
    });
    timed(`store -> parquet, top-k decoded in place (${label})`, positions, () => {
      const refs = hashes.map((hash, i) => ({ id: `s${i}`, hash }));
      const res = exportSequencesParquet(storedSequenceRows(store, FP, spec, refs), {
        outDir: path.join(dir, 'store'),
        prefix: 'b',
        spec,
        compression: 'none',
      });
      return dirBytes(res.files);
    });
    store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
