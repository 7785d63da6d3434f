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
import type { SequenceOutputSpec, SequenceTargets } from '../src/core/sequence-types.ts';
import type { TopK } from '../src/core/types.ts';
import { inputHash, openStore } from '../src/store/index.ts';
import { rowDistribution, topKOf } from '../test/helpers/sequence-targets.ts';

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

interface PoolRow {
  ids: Int32Array;
  logprobs: Float32Array;
  tailMass: number;
  lse: number;
  sampleIds: number[];
  sampleCounts: number[];
  next: number;
  nextLogprob: number;
  entropy: number;
}

function poolRow(rng: SeededRng): PoolRow {
  const { logprobs: lp, lse } = rowDistribution(rng, VOCAB);
  const ids = topKOf(lp, K);
  const logprobs = Float32Array.from(ids, (id) => lp[id]!);
  let mass = 0;
  for (const v of logprobs) mass += Math.exp(v);
  const cdf = new Float64Array(VOCAB);
  let acc = 0;
  let entropy = 0;
  for (let i = 0; i < VOCAB; i++) {
    const p = Math.exp(lp[i]!);
    acc += p;
    cdf[i] = acc;
    entropy -= p * lp[i]!;
  }
  const counts = new Map<number, number>();
  for (let d = 0; d < DRAWS; d++) {
    const u = rng.next() * acc;
    let lo = 0;
    let hi = VOCAB - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    counts.set(lo, (counts.get(lo) ?? 0) + 1);
  }
  const next = [...counts.keys()][0]!;
  return {
    ids,
    logprobs,
    tailMass: Math.max(0, 1 - mass),
    lse,
    sampleIds: [...counts.keys()],
    sampleCounts: [...counts.values()],
    next,
    nextLogprob: lp[next]!,
    entropy,
  };
}

function sequence(rng: SeededRng, pool: PoolRow[], spec: SequenceOutputSpec): SequenceTargets {
  const S = SEQ + 1;
  const tokenIds = Int32Array.from({ length: S }, () => rng.int(VOCAB));
  const scored = new Uint8Array(S).fill(1);
  scored[S - 1] = 0;
  const rows = Array.from({ length: SEQ }, () => pool[rng.int(pool.length)]!);
  const t: SequenceTargets = {
    tokenIds,
    scored,
    truncated: false,
    positions: Int32Array.from({ length: SEQ }, (_, i) => i),
    lse: Float32Array.from(rows, (r) => r.lse),
  };
  const ids = new Int32Array(SEQ * K);
  const logprobs = new Float32Array(SEQ * K);
  rows.forEach((r, p) => {
    ids.set(r.ids, p * K);
    logprobs.set(r.logprobs, p * K);
  });
  t.topk = { k: K, ids, logprobs, tailMass: Float32Array.from(rows, (r) => r.tailMass) };
  if (spec.samples) {
    const offsets = new Int32Array(SEQ + 1);
    rows.forEach((r, p) => (offsets[p + 1] = offsets[p]! + r.sampleIds.length));
    t.samples = {
      draws: DRAWS,
      offsets,
      ids: Int32Array.from(rows.flatMap((r) => r.sampleIds)),
      counts: Uint16Array.from(rows.flatMap((r) => r.sampleCounts)),
    };
  }
  if (spec.target)
    t.target = {
      logprob: Float32Array.from(rows, (r) => r.nextLogprob),
      rank: Int32Array.from(rows, (r) => Math.max(0, r.ids.indexOf(r.next))),
      entropy: Float32Array.from(rows, (r) => r.entropy),
    };
  return t;
}

const cpuSec = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

function report(name: string, positions: number, wall: number, cpu: number, extra = ''): void {
  console.log(
    `${name.padEnd(44)} ${Math.round(positions / wall)
      .toLocaleString('en-US')
      .padStart(9)} positions/s  (${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU)${extra}`,
  );
}

const dir = mkdtempSync(path.join(tmpdir(), 'sequence-store-bench-'));
try {
  const rng = new SeededRng('sequence-store-bench');
  const t0 = performance.now();
  const pool = Array.from({ length: Number(values.pool) }, () => poolRow(rng));
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
      Array.from({ length: BATCH }, () => ({ targets: sequence(seqRng, pool, spec), spec })),
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
