/**
 * The causal targets head alone (expose-targets.ts): one raw onnxruntime-node session on the rewritten
 * bench graph (the model bench/causal-teacher.ts builds), one batch of 16 random sequences of
 * --tokens / 16 ids, every position but the last scored, timed --reps times. Prints wall and process
 * CPU time (user / kernel: page faults show up as kernel time) per run, peak RSS, and with --profile
 * onnxruntime's per-node kernel time summed by node (averaged over the runs). --check compares lse,
 * entropy and the top log-prob of two rows with float64 JavaScript on the unmodified graph's logits.
 *
 *   npx tsx bench/causal-head.ts [--vocab 151936] [--tokens 1024] [--chunk-elements 4194304]
 *     [--arena true] [--threads 0] [--reps 3] [--profile] [--check]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { writeCausal } from '../src/fixtures/causal/build.ts';
import { buildFeeds, causalInputs, readGraphInputs } from '../src/teacher/causal/causal-feeds.ts';
import { HEAD_CHUNK_ELEMENTS } from '../src/teacher/causal/causal-teacher.ts';
import { TARGET_INPUTS, TARGET_OUTPUTS } from '../src/teacher/causal/expose-targets.ts';
import { defaultGraphCache, targetsGraph } from '../src/teacher/causal/targets-graph.ts';
import { peakRssMb, REPO_ROOT } from './corpus.ts';

const { values: a } = parseArgs({
  options: {
    vocab: { type: 'string', default: '151936' },
    tokens: { type: 'string', default: '1024' },
    'chunk-elements': { type: 'string', default: String(HEAD_CHUNK_ELEMENTS) },
    arena: { type: 'string', default: 'true' },
    threads: { type: 'string', default: '0' },
    reps: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
const V = Number(a.vocab);
const name = `bench-llama-v${V}-h128-l2`;
const modelDir = path.join(REPO_ROOT, 'bench/models', name);
if (!existsSync(modelDir)) {
  const shape = { vocabSize: V, hidden: 128, layers: 2, heads: 4, kvHeads: 2, intermediate: 256 };
  await writeCausal(path.dirname(modelDir), name, 'llama', 'llama3', shape);
}
const onnx = path.join(modelDir, 'onnx', 'model.onnx');
const graph = targetsGraph(onnx, [], defaultGraphCache());
const config = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
const inputs = causalInputs(readGraphInputs(graph.bytes), config);
const profileDir = mkdtempSync(path.join(os.tmpdir(), 'causal-head-'));
const session = await ort.InferenceSession.create(graph.path, {
  graphOptimizationLevel: 'all',
  enableCpuMemArena: a.arena === 'true',
  executionMode: 'sequential',
  intraOpNumThreads: Number(a.threads),
  interOpNumThreads: 1,
  enableProfiling: a.profile,
  profileFilePrefix: path.join(profileDir, 'profile'),
});

let state = 1;
const rnd = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state / 2 ** 31);
const seqLen = Math.floor(Number(a.tokens) / 16);
const ids = Array.from({ length: 16 }, () => Array.from({ length: seqLen }, () => Math.floor(rnd() * V)));
const { feeds, seq, offsets } = buildFeeds(ids, 0, 'right', inputs);
const tensors: Record<string, ort.Tensor> = {};
for (const [n, t] of Object.entries(feeds))
  tensors[n] = new ort.Tensor(t.type as 'int64', t.data as BigInt64Array, t.dims);
const rows: number[] = [];
const next: number[] = [];
ids.forEach((r, b) => r.slice(1).forEach((id, t) => (rows.push(b * seq + offsets[b]! + t), next.push(id))));
const chunk = Math.max(1, Math.min(rows.length, Math.floor(Number(a['chunk-elements']) / V)));
const chunks = Math.ceil(rows.length / chunk);
const rowFeed = new BigInt64Array(chunks * chunk);
const nextFeed = new BigInt64Array(chunks * chunk);
rows.forEach((r, i) => ((rowFeed[i] = BigInt(r)), (nextFeed[i] = BigInt(next[i]!))));
tensors[TARGET_INPUTS.rows] = new ort.Tensor('int64', rowFeed, [chunks, chunk]);
tensors[TARGET_INPUTS.next] = new ort.Tensor('int64', nextFeed, [chunks, chunk]);
tensors[TARGET_INPUTS.temperature] = new ort.Tensor('float32', Float32Array.of(1), [1]);
tensors[TARGET_INPUTS.k] = new ort.Tensor('int64', BigInt64Array.of(128n), [1]);

console.log(`vocab ${V}, ${rows.length} scored rows, chunk ${chunk} rows x ${chunks}, arena ${a.arena}`);
const fetches = [TARGET_OUTPUTS.lse, TARGET_OUTPUTS.topkLogprobs, TARGET_OUTPUTS.entropy, TARGET_OUTPUTS.nextRank];
let out: ort.InferenceSession.ReturnType = {};
for (let r = 0; r < Number(a.reps); r++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  out = await session.run(tensors, fetches);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  console.log(
    `run ${r}: ${ms.toFixed(0)} ms wall, user ${(used.user / 1000).toFixed(0)} ms, kernel ${(used.system / 1000).toFixed(0)} ms, ${(rows.length / (ms / 1000)).toFixed(0)} rows/s`,
  );
}
console.log(`peak RSS ${peakRssMb()} MB`);
await session.release();

if (a.profile) {
  const file = path.join(profileDir, readdirSync(profileDir)[0]!);
  type Event = { cat: string; name: string; dur: number; args?: { op_name?: string } };
  const byNode = new Map<string, number>();
  for (const e of JSON.parse(readFileSync(file, 'utf8')) as Event[]) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const key = `${e.args?.op_name ?? '?'} ${e.name.replace('_kernel_time', '')}`;
    byNode.set(key, (byNode.get(key) ?? 0) + e.dur);
  }
  unlinkSync(file);
  for (const [key, us] of [...byNode].sort((x, y) => y[1] - x[1]).slice(0, 16))
    console.log(`${(us / 1000 / Number(a.reps)).toFixed(1).padStart(9)} ms  ${key}`);
}

if (a.check) {
  const plain = await ort.InferenceSession.create(onnx);
  const logits = (await plain.run(Object.fromEntries(plain.inputNames.map((n) => [n, tensors[n]!])), ['logits']))
    .logits!;
  const data = logits.data as Float32Array;
  const f = (n: string, i: number) => (out[n]!.data as Float32Array)[i]!;
  for (const r of [0, 1]) {
    const row = data.subarray(rows[r]! * V, (rows[r]! + 1) * V);
    const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    const entropy = -row.reduce((s, x) => s + Math.exp(x - lse) * (x - lse), 0);
    const err = (got: number, want: number) => (got - want).toExponential(1);
    console.log(
      `row ${r} vs float64: lse ${err(f(TARGET_OUTPUTS.lse, r), lse)}, entropy ${err(f(TARGET_OUTPUTS.entropy, r), entropy)}, top-1 ${err(f(TARGET_OUTPUTS.topkLogprobs, r * 128), max - lse)}`,
    );
  }
  await plain.release();
}
