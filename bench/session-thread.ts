/**
 * What running a teacher's session in a worker thread costs and buys, against the same session on
 * the main thread. Both teachers live in this process and run in alternation (ABAB...), so a busy
 * machine slows both alike; figures are medians over rounds.
 *   - per-call overhead: demo-sentiment, one short text, logits (the model call is ~1 ms)
 *   - output volume: tiny-bert-classifier, 32 texts, every hidden state and attention map
 *   - BERT-base batch: bench-bert-base, 32 SST-2 texts, logits + pooled last hidden state; also the
 *     longest gap between ticks of a 5 ms timer during the call (how long the main thread was held)
 *   - BERT-base single text: one call per text, as the HTTP API without merging does
 *
 *   npx tsx bench/session-thread.ts [--rounds 5] [--calls 200]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { OutputSpec, TextInput } from '../src/core/types.ts';
import { OnnxTeacher } from '../src/teacher/onnx-teacher.ts';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '200' } },
});
const rounds = Number(values.rounds);
const THREADS = ['worker', 'main'] as const;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Longest wait of a 5 ms interval timer while `fn` runs. */
async function withGap<T>(fn: () => Promise<T>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const iv = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  await fn();
  clearInterval(iv);
  return Math.max(worst, performance.now() - last);
}

async function compare(
  label: string,
  dir: string,
  inputs: TextInput[],
  spec: OutputSpec,
  repeat: number,
  n: number,
): Promise<void> {
  const teachers = Object.fromEntries(
    await Promise.all(
      THREADS.map(async (thread) => [thread, await OnnxTeacher.load({ name: thread, dir, thread })] as const),
    ),
  );
  const ms: Record<string, number[]> = { worker: [], main: [] };
  const gaps: Record<string, number[]> = { worker: [], main: [] };
  for (const t of Object.values(teachers)) await t.infer(inputs.slice(0, 2), spec);
  for (let r = 0; r < n; r++) {
    for (const thread of r % 2 === 0 ? THREADS : [...THREADS].reverse()) {
      const t0 = performance.now();
      for (let i = 0; i < repeat; i++) await teachers[thread]!.infer(inputs, spec);
      ms[thread]!.push((performance.now() - t0) / repeat);
    }
  }
  // Apart from the timed rounds: a timer ticking on the main thread competes with onnxruntime's
  // intra-op threads on a small machine and slowed worker calls by up to 1.35x in a first version.
  for (let r = 0; r < 3; r++)
    for (const thread of THREADS) gaps[thread]!.push(await withGap(() => teachers[thread]!.infer(inputs, spec)));
  for (const t of Object.values(teachers)) await t.dispose();
  const [w, m] = [median(ms.worker!), median(ms.main!)];
  console.log(
    `${label.padEnd(34)} | ${w.toFixed(2).padStart(9)} | ${m.toFixed(2).padStart(9)} | ${(w / m).toFixed(2).padStart(11)} | ${median(gaps.worker!).toFixed(0).padStart(10)} | ${median(gaps.main!).toFixed(0).padStart(8)}`,
  );
}

const sst2 = sst2Dev().map((r) => ({ text: r.text }));
const FULL: OutputSpec = {
  logits: true,
  temperatures: [1],
  hidden: { layers: 'all', pooling: 'none' },
  attentions: { layers: 'all' },
  encoding: 'fp32',
};
const LOGITS: OutputSpec = { logits: true, temperatures: [], encoding: 'fp32' };
const CLS: OutputSpec = {
  logits: true,
  temperatures: [],
  hidden: { layers: 'last', pooling: 'cls' },
  encoding: 'fp32',
};

console.log(
  `# medians over ${rounds} alternating rounds (per-call: ${values.calls} calls per round); gap = longest wait of a 5 ms timer during one call (median of 3, measured apart)`,
);
console.log('workload                           | worker ms | main ms   | worker/main | worker gap | main gap');
await compare(
  'demo, 1 text, logits (per call)',
  path.join(REPO_ROOT, 'models/demo-sentiment'),
  sst2.slice(0, 1),
  LOGITS,
  Number(values.calls),
  rounds,
);
await compare(
  'tiny, 32 texts, all outputs',
  path.join(REPO_ROOT, 'models/tiny-bert-classifier'),
  sst2.slice(0, 32),
  FULL,
  20,
  rounds,
);
const bert = path.join(REPO_ROOT, 'bench/models/bench-bert-base');
if (existsSync(bert)) {
  await compare('bert-base, 32 texts, logits + cls', bert, sst2.slice(0, 32), CLS, 1, rounds);
  await compare('bert-base, 1 text, logits (per call)', bert, sst2.slice(40, 41), LOGITS, 8, rounds);
} else console.log(`(${bert} missing: npx tsx src/cli/main.ts models build-bench bench/models)`);
