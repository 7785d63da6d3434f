/**
 * Causal-LM teacher throughput, scored tokens/s (positions whose next-token distribution is kept), on
 * {prompt, response} rows made from SST-2 dev sentences (first half prompt, second half response):
 *   raw       raw onnxruntime-node session on the same rewritten graph (the LM head replaced by the
 *             chunked targets head, expose-targets.ts), the same pre-tokenized length-sorted batches
 *             and feeds as the engine: the ceiling
 *   engine    CausalTeacher.score end to end (tokenize, batch, worker-thread session, extract rows)
 *   js-topk   raw session on the unmodified graph returning [batch, seq, vocab] logits; log-sum-exp,
 *             top-k (a k-sized heap), entropy and the next token's log-prob/rank computed in JavaScript
 *             for the scored rows: what a pipeline without the graph rewrite does
 * All three compute top-k (k=--k) + lse + entropy + next-token log-prob/rank. Each mode runs in its own
 * process, so its peak RSS (VmHWM) is its own, and runs the workload twice, timing the second pass
 * (the first warms onnxruntime up). The engine's time includes tokenizing.
 *
 *   npx tsx bench/causal-teacher.ts [--vocab 151936] [--hidden 128] [--layers 2] [--budget 1024] [--limit 256] [--k 128]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { writeCausal } from '../src/fixtures/causal/build.ts';
import { planBatches } from '../src/teacher/batch-planner.ts';
import { buildFeeds, causalInputs, readGraphInputs, scoredRowFeeds } from '../src/teacher/causal/causal-feeds.ts';
import { CausalTeacher, HEAD_CHUNK_ELEMENTS } from '../src/teacher/causal/causal-teacher.ts';
import { TARGET_INPUTS, TARGET_OUTPUTS } from '../src/teacher/causal/expose-targets.ts';
import type { EncodedSequence, SequenceInput } from '../src/teacher/causal/sequence-input.ts';
import { scoredPositions } from '../src/teacher/causal/sequence-input.ts';
import { defaultGraphCache, targetsGraph } from '../src/teacher/causal/targets-graph.ts';
import { peakRssMb, REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    vocab: { type: 'string', default: '151936' },
    hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '2' },
    budget: { type: 'string', default: '1024' },
    limit: { type: 'string', default: '256' },
    k: { type: 'string', default: '128' },
    modes: { type: 'string', default: 'raw,engine,js-topk' },
    mode: { type: 'string' },
  },
});

const V = Number(values.vocab);
const K = Number(values.k);
const modelName = `bench-llama-v${V}-h${values.hidden}-l${values.layers}`;
const modelDir = path.join(REPO_ROOT, 'bench/models', modelName);
const limits = { tokenBudget: Number(values.budget), maxBatchSize: 64 };
const spec = { temperature: 1, topK: K, target: true };

function rows(): SequenceInput[] {
  return sst2Dev()
    .slice(0, Number(values.limit))
    .map(({ text }) => {
      const words = text.split(' ');
      const half = Math.max(1, Math.floor(words.length / 2));
      return { prompt: words.slice(0, half).join(' '), response: ` ${words.slice(half).join(' ') || '.'}` };
    });
}

interface Result {
  mode: string;
  scoredTokens: number;
  seconds: number;
  batches: number;
  peakRssMb: number;
}

/** Top-k of one row by a k-sized min-heap (ids of the k largest, by descending value). */
function topK(row: Float32Array, k: number): Int32Array {
  const heap = new Int32Array(k);
  let n = 0;
  const less = (a: number, b: number) => row[heap[a]!]! < row[heap[b]!]!;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && less(l, m)) m = l;
      if (r < n && less(r, m)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let v = 0; v < row.length; v++) {
    if (n < k) {
      heap[n] = v;
      let i = n++;
      while (i > 0 && less(i, (i - 1) >> 1)) {
        const p = (i - 1) >> 1;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    } else if (row[v]! > row[heap[0]!]!) {
      heap[0] = v;
      down(0);
    }
  }
  return heap.sort((a, b) => row[b]! - row[a]!);
}

/** What the graph computes, in JavaScript on one row of logits (T = 1). */
function jsTargets(row: Float32Array, next: number, k: number): number {
  let max = -Infinity;
  for (let v = 0; v < row.length; v++) if (row[v]! > max) max = row[v]!;
  let sum = 0;
  let weighted = 0;
  let rank = 0;
  for (let v = 0; v < row.length; v++) {
    const e = Math.exp(row[v]! - max);
    sum += e;
    weighted += e * row[v]!;
    if (row[v]! > row[next]!) rank++;
  }
  const lse = max + Math.log(sum);
  const entropy = lse - weighted / sum;
  const ids = topK(row, k);
  return lse + entropy + rank + ids[0]!;
}

async function rawMode(js: boolean, encoded: EncodedSequence[], planLimits: typeof limits): Promise<Result> {
  const files = { onnx: path.join(modelDir, 'onnx', 'model.onnx') };
  const graph = targetsGraph(files.onnx, [], defaultGraphCache());
  const config = (await import(path.join(modelDir, 'config.json'), { with: { type: 'json' } })).default;
  const inputs = causalInputs(readGraphInputs(graph.bytes), config as Record<string, unknown>);
  // the engine's session options (src/teacher/session.ts, threads 0 and the arena as CausalTeacher passes;
  // js-topk too, so its [batch, seq, vocab] logits are not charged page faults the engine is spared)
  const session = await ort.InferenceSession.create(js ? files.onnx : graph.path, {
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    executionMode: 'sequential',
    intraOpNumThreads: 0,
    interOpNumThreads: 1,
  });
  const batches = planBatches(
    encoded.map((e) => e.ids.length),
    planLimits,
  );
  let scored = 0;
  let sink = 0;
  let started = 0;
  // a first, untimed pass warms onnxruntime up (kernels, allocations) in every mode alike
  for (let pass = 0; pass < 2; pass++) {
    scored = 0;
    started = performance.now();
    for (const batch of batches) {
      const batchRows = batch.map((i) => encoded[i]!);
      const { feeds, seq, offsets } = buildFeeds(
        batchRows.map((r) => r.ids),
        0,
        'right',
        inputs,
      );
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds))
        tensors[name] = new ort.Tensor(t.type as 'int64', t.data as BigInt64Array, t.dims);
      if (js) {
        const logits = (await session.run(tensors, ['logits'])).logits!;
        const data = logits.data as Float32Array;
        batchRows.forEach((r, b) => {
          const s = scoredPositions(r.targets);
          for (let t = 0; t < s.length; t++) {
            if (!s[t]) continue;
            const at = (b * seq + offsets[b]! + t) * V;
            sink += jsTargets(data.subarray(at, at + V), r.ids[t + 1]!, K);
            scored++;
          }
        });
      } else {
        const rowFeeds = scoredRowFeeds(batchRows, seq, offsets, Math.floor(HEAD_CHUNK_ELEMENTS / V));
        for (const [name, t] of Object.entries(rowFeeds.feeds))
          tensors[name] = new ort.Tensor('int64', t.data as BigInt64Array, t.dims);
        tensors[TARGET_INPUTS.temperature] = new ort.Tensor('float32', Float32Array.of(1), [1]);
        tensors[TARGET_INPUTS.k] = new ort.Tensor('int64', BigInt64Array.of(BigInt(K)), [1]);
        const out = await session.run(tensors, [
          TARGET_OUTPUTS.lse,
          TARGET_OUTPUTS.topkLogprobs,
          TARGET_OUTPUTS.topkIds,
          TARGET_OUTPUTS.entropy,
          TARGET_OUTPUTS.nextLogprob,
          TARGET_OUTPUTS.nextRank,
        ]);
        sink += (out[TARGET_OUTPUTS.lse]!.data as Float32Array)[0]!;
        for (const r of batchRows) scored += scoredPositions(r.targets).reduce((a, x) => a + x, 0);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (Number.isNaN(sink)) console.error('NaN');
  await session.release();
  return {
    mode: js ? 'js-topk' : 'raw',
    scoredTokens: scored,
    seconds,
    batches: batches.length,
    peakRssMb: peakRssMb(),
  };
}

async function child(mode: string): Promise<Result> {
  const teacher = await CausalTeacher.load({ name: 'bench', dir: modelDir, limits, maxLength: 512 });
  const inputs = rows();
  if (mode !== 'engine') {
    const encoded = teacher.encode(inputs) as EncodedSequence[];
    await teacher.dispose();
    // the engine's own limits (padding-waste cap included), so both run the very same batches
    return rawMode(mode === 'js-topk', encoded, teacher.limits);
  }
  await teacher.score(
    inputs.map((input) => ({ input })),
    spec,
  );
  const started = performance.now();
  const results = await teacher.score(
    inputs.map((input) => ({ input })),
    spec,
  );
  const seconds = (performance.now() - started) / 1000;
  const scored = results.reduce((s, r) => s + ('positions' in r ? r.positions.length : 0), 0);
  const batches = planBatches(
    (teacher.encode(inputs) as EncodedSequence[]).map((e) => e.ids.length),
    teacher.limits,
  ).length;
  await teacher.dispose();
  return { mode, scoredTokens: scored, seconds, batches, peakRssMb: peakRssMb() };
}

async function main(): Promise<void> {
  if (values.mode) return void console.log(JSON.stringify(await child(values.mode)));
  if (!existsSync(modelDir)) {
    const shape = { vocabSize: V, hidden: Number(values.hidden), layers: Number(values.layers), heads: 4, kvHeads: 2 };
    await writeCausal(path.dirname(modelDir), modelName, 'llama', 'llama3', {
      ...shape,
      intermediate: shape.hidden * 2,
    });
  }
  console.log(`model ${modelName}: vocab ${V}, budget ${values.budget} tokens/batch, k ${K}, rows ${values.limit}`);
  const results: Result[] = [];
  for (const mode of values.modes!.split(',')) {
    const args = [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--mode', mode];
    results.push(
      JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split('\n').at(-1)!) as Result,
    );
  }
  const raw = results.find((r) => r.mode === 'raw');
  console.log('| mode | scored tokens/s | seconds | batches | peak RSS | vs raw |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const rate = r.scoredTokens / r.seconds;
    const vs = raw ? (rate / (raw.scoredTokens / raw.seconds)).toFixed(2) : '-';
    console.log(
      `| ${r.mode} | ${rate.toFixed(0)} | ${r.seconds.toFixed(1)} | ${r.batches} | ${r.peakRssMb} MB | ${vs}x |`,
    );
  }
}

await main();
