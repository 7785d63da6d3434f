/**
 * Dataset report cost on a large synthetic dataset (originals x 4 augmentations, 2-label logits) in a
 * real SQLite store: the report's one pass vs the bare read of the same rows (the floor it cannot beat).
 *
 *   npx tsx bench/report.ts [--originals 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRng } from '../src/core/seeded-rng.ts';
import type { Example, OutputSpec, TeacherInfo } from '../src/core/types.ts';
import { buildDatasetReport } from '../src/report/dataset-report.ts';
import { inputHash, openStore } from '../src/store/index.ts';

const { values } = parseArgs({ options: { originals: { type: 'string', default: '20000' } } });
const originals = Number(values.originals);
const dir = mkdtempSync(path.join(tmpdir(), 'distillery-bench-report-'));
const store = openStore(path.join(dir, 'bench.db'));
const info: TeacherInfo = {
  name: 'bench',
  fingerprint: 'b'.repeat(64),
  task: 'text-classification',
  labels: ['NEGATIVE', 'POSITIVE'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 128,
  hiddenLayers: 0,
  attentionLayers: 0,
};
const spec: OutputSpec = { logits: true, temperatures: [1], encoding: 'fp32' };
const OPS = ['synonym', 'swap', 'insert', 'delete'];

try {
  const rng = new SeededRng('bench-report');
  store.createDataset({ id: 'bench' });
  store.registerTeacher(info);
  store.linkTeacher('bench', info.fingerprint, spec);
  const t0 = performance.now();
  for (let start = 0; start < originals; start += 1000) {
    const batch: Example[] = [];
    for (let i = start; i < Math.min(originals, start + 1000); i++) {
      const words = Array.from({ length: 12 }, (_, k) => `w${(i * 7 + k) % 5000}`);
      batch.push({ id: `o${i}`, text: words.join(' '), label: i % 2, origin: { kind: 'original' } });
      OPS.forEach((op, j) => {
        const w = [...words];
        w[j] = `x${i}`;
        batch.push({
          id: `o${i}-${op}`,
          text: w.join(' '),
          label: i % 2,
          origin: { kind: 'augmentation', parentId: `o${i}`, ops: [op], params: {}, seed: '1', changed: [j] },
        });
      });
    }
    store.addExamples('bench', batch);
    store.putOutputs(
      info.fingerprint,
      batch.map((e) => ({
        inputHash: inputHash(e),
        output: { logits: Float32Array.of(rng.next() * 4 - 2, rng.next() * 4 - 2), tokens: 14, truncated: false },
      })),
      { encoding: 'fp32' },
    );
  }
  const examples = originals * (1 + OPS.length);
  console.log(`built ${examples} examples in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const time = (fn: () => void) => {
    const s = performance.now();
    fn();
    return (performance.now() - s) / 1000;
  };
  // warm the page cache once, then best of 3 each, interleaved so a busy machine hurts both alike
  let n = 0;
  for (const _ of store.iterateLabelled('bench', info.fingerprint, spec)) n++;
  const read: number[] = [];
  const report: number[] = [];
  let json = 0;
  for (let r = 0; r < 3; r++) {
    read.push(
      time(() => {
        let k = 0;
        for (const row of store.iterateLabelled('bench', info.fingerprint, spec)) if (row.output) k++;
        if (k !== n) throw new Error('short read');
      }),
    );
    report.push(
      time(() => {
        json = JSON.stringify(buildDatasetReport(store, 'bench')).length;
      }),
    );
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`rows: ${n}`);
  console.log(`bare read (iterateLabelled): ${best(read).toFixed(2)} s  (${Math.round(n / best(read))} rows/s)`);
  console.log(`buildDatasetReport:          ${best(report).toFixed(2)} s  (${Math.round(n / best(report))} rows/s)`);
  console.log(`report / read ratio:         ${(best(report) / best(read)).toFixed(2)}x`);
  console.log(`report JSON: ${(json / 1024 / 1024).toFixed(2)} MiB (logits capped at 20,000 rows)`);
  console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
