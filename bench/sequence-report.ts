/**
 * The causal-LM dataset report's stats pass (per-position entropy and top-k mass histograms), with
 * the same-run baseline of the same pass over fully decoded targets (store.sequences.getMany, the
 * report's first version): what reading summaries (tail mass from its fixed place in the top-k blob,
 * no row decoding) buys. Both read the same file, a page of 64 sequences at a time; each is run
 * --repeat times, alternating, and the medians are printed.
 *
 * Rows are real distributions (bench/sequence-pool.ts), stored with top-k and the next-token target.
 *
 *   npx tsx bench/sequence-report.ts [--positions 200000] [--seq 256] [--k 128] [--vocab 151936] [--repeat 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRng } from '../src/core/seeded-rng.ts';
import type { SequenceOutputSpec } from '../src/core/sequence-types.ts';
import { buildSequenceStats, labelledRows, pagesOf, reportSpec } from '../src/report/sequence-report.ts';
import { openStore, SequenceOutputs } from '../src/store/index.ts';
import { poolRow, sequence } from './sequence-pool.ts';

const { values } = parseArgs({
  options: {
    positions: { type: 'string', default: '200000' },
    seq: { type: 'string', default: '256' },
    k: { type: 'string', default: '128' },
    vocab: { type: 'string', default: '151936' },
    pool: { type: 'string', default: '256' },
    repeat: { type: 'string', default: '3' },
  },
});
const K = Number(values.k);
const VOCAB = Number(values.vocab);
const SEQ = Number(values.seq);
const SEQUENCES = Math.ceil(Number(values.positions) / SEQ);
const SHAPE = { vocab: VOCAB, k: K, draws: 1 };
const SPEC: SequenceOutputSpec = { temperature: 1, topK: K, target: true };
const FP = 'sha256:bench-causal-teacher';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(path.join(tmpdir(), 'sequence-report-bench-'));
try {
  const rng = new SeededRng('sequence-report-bench');
  const pool = Array.from({ length: Number(values.pool) }, () => poolRow(rng, SHAPE));
  const store = openStore(path.join(dir, 'store.db'));
  // the dataset spec a causal-LM job records
  store.createDataset({
    id: 'bench',
    name: 'bench',
    spec: { kind: 'causal-lm', teacher: { name: 'bench', fingerprint: FP, vocabSize: VOCAB }, spec: SPEC },
  });
  for (let done = 0; done < SEQUENCES; done += 32) {
    const batch = Array.from({ length: Math.min(32, SEQUENCES - done) }, () => sequence(rng, pool, SPEC, SEQ, SHAPE));
    store.sequences.put(
      FP,
      VOCAB,
      batch.map((targets) => ({ targets, spec: SPEC })),
    );
    store.datasetSequences.add(
      'bench',
      batch.map((t, i) => ({ id: `s${done + i}`, hash: SequenceOutputs.hash(t) })),
    );
  }
  const positions = SEQUENCES * SEQ;
  console.log(`${SEQUENCES} sequences x ${SEQ} positions, k=${K}, vocabulary ${VOCAB}`);

  // the baseline: the same sums over decoded targets
  const decodedPass = (): number => {
    let sum = 0;
    const read = (hashes: string[]) => store.sequences.getMany(FP, hashes, reportSpec(SPEC));
    for (const page of pagesOf(labelledRows(store.datasetSequences.iterate('bench'), { count: 0 }), read))
      for (const { value: t } of page) {
        for (const h of t!.target!.entropy) sum += h;
        for (const m of t!.topk!.tailMass) sum += m;
      }
    return sum;
  };
  const times = { summaries: [] as number[], decoded: [] as number[] };
  for (let r = 0; r < Number(values.repeat); r++) {
    let t0 = performance.now();
    const stats = buildSequenceStats(store, 'bench');
    times.summaries.push((performance.now() - t0) / 1000);
    if (stats.totals.positions !== positions) throw new Error(`read ${stats.totals.positions} positions`);
    t0 = performance.now();
    decodedPass();
    times.decoded.push((performance.now() - t0) / 1000);
  }
  for (const [name, t] of Object.entries(times)) {
    const s = median(t);
    console.log(
      `${`report stats pass, ${name}`.padEnd(34)} ${Math.round(positions / s)
        .toLocaleString('en-US')
        .padStart(11)} positions/s (median ${s.toFixed(3)} s of ${t.map((x) => x.toFixed(3)).join(', ')})`,
    );
  }
  console.log(`summaries / decoded: ${(median(times.decoded) / median(times.summaries)).toFixed(1)}x`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
