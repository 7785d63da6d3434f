/**
 * Store write throughput of causal-LM per-token outputs (issue 14: >= 20,000 positions/s at k=64),
 * with the same-run baseline the existing soft-label path gives for the same positions: one
 * `putOutputs` row per sequence holding a top-k per token (the masked-LM token-head layout: int32
 * ids, fp16 values, f32 log-sum-exp). Both time encoding + SQLite inserts, in batches of --batch
 * sequences per transaction, on fresh files with the store's pragmas.
 *
 * Rows are real distributions (softmax of seeded LM-shaped logits over --vocab tokens, see
 * test/helpers/sequence-targets.ts): a pool of --pool rows is computed first (untimed) and each
 * sequence draws its rows from it, so the codec sees realistic values at any bench size.
 *
 *   npx tsx bench/sequence-store.ts [--positions 200000] [--seq 256] [--batch 16] [--k 64] [--vocab 151936]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRng } from '../src/core/seeded-rng.ts';
import type { SequenceOutputSpec } from '../src/core/sequence-types.ts';
import type { TopK } from '../src/core/types.ts';
import { inputHash, openStore } from '../src/store/index.ts';
import { poolRow, sequence } from './sequence-pool.ts';

const { values } = parseArgs({
  options: {
    positions: { type: 'string', default: '200000' },
    seq: { type: 'string', default: '256' },
    batch: { type: 'string', default: '16' },
    k: { type: 'string', default: '64' },
    vocab: { type: 'string', default: '151936' },
    pool: { type: 'string', default: '256' },
    draws: { type: 'string', default: '50' },
  },
});
const K = Number(values.k);
const VOCAB = Number(values.vocab);
const SEQ = Number(values.seq);
const BATCH = Number(values.batch);
const SEQUENCES = Math.ceil(Number(values.positions) / SEQ);
const DRAWS = Number(values.draws);
const SHAPE = { vocab: VOCAB, k: K, draws: DRAWS };

const cpuSec = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

function report(name: string, positions: number, wall: number, cpu: number, extra = ''): void {
  console.log(
    `${name.padEnd(44)} ${Math.round(positions / wall)
      .toLocaleString('en-US')
      .padStart(9)} positions/s, ${Math.round(positions / cpu).toLocaleString('en-US')} per CPU-s  ` +
      `(${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU)${extra}`,
  );
}

const dir = mkdtempSync(path.join(tmpdir(), 'sequence-store-bench-'));
try {
  const rng = new SeededRng('sequence-store-bench');
  const t0 = performance.now();
  const pool = Array.from({ length: Number(values.pool) }, () => poolRow(rng, SHAPE));
  console.log(
    `pool: ${pool.length} rows over ${VOCAB} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `${SEQUENCES} sequences x ${SEQ} positions, k=${K}, ${BATCH} sequences a transaction`,
  );
  const FP = 'sha256:bench-causal-teacher';
  const specs: [string, SequenceOutputSpec][] = [
    [`sequence store, topk:${K}`, { temperature: 1, topK: K }],
    [
      `sequence store, topk:${K} + samples:${DRAWS} + target`,
      { temperature: 1, topK: K, samples: { draws: DRAWS }, target: true },
    ],
  ];
  for (const [name, spec] of specs) {
    const seqRng = new SeededRng(`seq-${name}`);
    const batches = Array.from({ length: Math.ceil(SEQUENCES / BATCH) }, () =>
      Array.from({ length: BATCH }, () => ({ targets: sequence(seqRng, pool, spec, SEQ, SHAPE), spec })),
    );
    const store = openStore(path.join(dir, `${name.length}.db`));
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    for (const b of batches) store.sequences.put(FP, VOCAB, b);
    const wall = (performance.now() - w0) / 1000;
    const cpu = cpuSec(c0);
    const per = store.sequences
      .stats(FP)
      .map((s) => `${s.component} ${s.bytesPerPosition.toFixed(1)} B`)
      .join(', ');
    report(name, batches.length * BATCH * SEQ, wall, cpu, `; bytes/position: ${per}`);
    store.close();
  }

  // baseline: the existing soft-label path, a top-k per token in one teacher_outputs row per sequence
  const baseRng = new SeededRng('baseline');
  const batches = Array.from({ length: Math.ceil(SEQUENCES / BATCH) }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => {
      const rows = Array.from({ length: SEQ }, () => pool[baseRng.int(pool.length)]!);
      const topK: TopK[] = rows.map((r) => ({ ids: r.ids, logits: r.logprobs, logSumExp: r.lse }));
      return {
        inputHash: inputHash({ text: `bench sequence ${b}-${i}` }),
        output: { topK, tokens: SEQ, truncated: false },
      };
    }),
  );
  const store = openStore(path.join(dir, 'baseline.db'));
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  for (const b of batches) store.putOutputs('sha256:bench-baseline', b, { encoding: 'fp16' });
  const wall = (performance.now() - w0) / 1000;
  const bytes = (4 + K * 6) * SEQ; // int32 ids + fp16 values + f32 lse per row
  report(
    `baseline: putOutputs topk:${K} per token, fp16`,
    batches.length * BATCH * SEQ,
    wall,
    cpuSec(c0),
    `; ~${(bytes / SEQ).toFixed(0)} B/position`,
  );
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
