/**
 * fp32 vs dynamic int8 on the BERT-base-shaped bench model, through onnxruntime-node CPU:
 *   model.onnx            fp32
 *   model_quantized.onnx  DynamicQuantizeLinear + MatMulInteger (what build-bench writes, standard ops)
 *   model_fused.onnx      com.microsoft DynamicQuantizeMatMul (written here for the comparison)
 * Rounds are interleaved so a busy machine slows all variants alike; prints medians and ratios to fp32.
 * Run: npx tsx bench/quantized-bert.ts [--batch 8] [--seq 128] [--rounds 5] [--threads 2]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { SeededRng } from '../src/core/seeded-rng.ts';
import { buildBertGraph } from '../src/fixtures/bert/bert-graph.ts';
import { randomBertWeights } from '../src/fixtures/bert/bert-weights.ts';
import {
  BENCH_MODEL_NAME,
  BENCH_SEED,
  BENCH_SPEC,
  BENCH_WEIGHT_SCALE,
  buildBenchModel,
} from '../src/fixtures/bench-model.ts';
import { writeModelFile } from '../src/teacher/onnx/graph-builder.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
  },
});
const batch = Number(values.batch);
const seq = Number(values.seq);
const rounds = Number(values.rounds);
const threads = Number(values.threads);

const root = path.resolve(import.meta.dirname, 'models');
const dir = path.join(root, BENCH_MODEL_NAME, 'onnx');
if (!existsSync(path.join(dir, 'model_quantized.onnx'))) buildBenchModel(root, (l) => console.log(l));
if (!existsSync(path.join(dir, 'model_fused.onnx'))) {
  const weights = randomBertWeights(BENCH_SPEC, new SeededRng(BENCH_SEED), BENCH_WEIGHT_SCALE);
  writeModelFile(
    path.join(dir, 'model_fused.onnx'),
    buildBertGraph(BENCH_SPEC, weights, { outputs: 'all', quantize: 'fused' }),
    {
      extraOpsets: { 'com.microsoft': 1 },
    },
  );
}

const rng = new SeededRng('bench-input');
const ids = BigInt64Array.from({ length: batch * seq }, (_, i) =>
  BigInt(i % seq === 0 ? 2 : 5 + rng.int(BENCH_SPEC.vocabSize - 5)),
);
const feeds = {
  input_ids: new ort.Tensor('int64', ids, [batch, seq]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
  token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]),
};

const variants = ['model.onnx', 'model_quantized.onnx', 'model_fused.onnx'];
const sessions = new Map<string, ort.InferenceSession>();
const logits = new Map<string, Float32Array>();
for (const v of variants) {
  const s = await ort.InferenceSession.create(path.join(dir, v), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  logits.set(v, (await s.run(feeds, ['logits'])).logits!.data as Float32Array); // warm-up
  sessions.set(v, s);
}
const times = new Map<string, number[]>(variants.map((v) => [v, []]));
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const t = performance.now();
    await sessions.get(v)!.run(feeds, ['logits']);
    times.get(v)!.push(performance.now() - t);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(times.get('model.onnx')!);
const fp32 = logits.get('model.onnx')!;
console.log(`batch ${batch} x seq ${seq}, ${rounds} interleaved rounds, intraOpNumThreads ${threads}`);
for (const v of variants) {
  const m = median(times.get(v)!);
  const l = logits.get(v)!;
  let agree = 0;
  for (let i = 0; i < batch; i++)
    agree += Math.sign(l[2 * i + 1]! - l[2 * i]!) === Math.sign(fp32[2 * i + 1]! - fp32[2 * i]!) ? 1 : 0;
  console.log(
    `${v.padEnd(22)} median ${m.toFixed(0).padStart(6)} ms/batch  ${(base / m).toFixed(2)}x fp32 speed  argmax agrees ${agree}/${batch}`,
  );
}
for (const s of sessions.values()) await s.release();
