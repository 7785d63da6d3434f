/**
 * Teacher engine throughput on SST-2 dev (or --split train), real (non-padding) tokens/s:
 *   (a) raw onnxruntime-node session over pre-tokenized, length-sorted batches (the ceiling)
 *   (b) the engine end to end (tokenize, batch, infer, extract logits + pooled last hidden state),
 *       its session in a worker thread (the default); engine-main: the same with the session on the
 *       main thread, to measure what the thread hop (transfers, messages) costs; engine-1plan: the
 *       whole call tokenized on the main thread and run as one plan (no pipelining of large calls)
 *   (c) transformers.js pipeline, one text at a time (what a user writes first)
 * Each mode runs in its own process so peak RSS is its own.
 *
 *   npx tsx bench/teacher.ts [--model bench/models/bench-bert-base] [--dtypes fp32,q8,fp16] [--device cpu] [--modes raw,engine,engine-main,pipeline]
 *     [--split dev|train] [--peak-tflops N: the device's peak, to print the fraction reached]
 * TFLOP/s counts what the device computes (padded positions included; bench/bert-flops.ts).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { pipeline } from '@huggingface/transformers';
import { paddingWaste, planBatches } from '../src/teacher/batch-planner.ts';
import type { Device } from '../src/teacher/devices.ts';
import { locateModelFiles } from '../src/teacher/model-files.ts';
import { OnnxTeacher } from '../src/teacher/onnx-teacher.ts';
import { batchFlops, encoderShape } from './bert-flops.ts';
import { peakRssMb, readJsonl, REPO_ROOT } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'bench/models/bench-bert-base') },
    dtypes: { type: 'string', default: 'fp32,q8' },
    device: { type: 'string', default: 'cpu' },
    mode: { type: 'string' },
    dtype: { type: 'string' },
    budget: { type: 'string', default: '2048' },
    limit: { type: 'string' },
    modes: { type: 'string', default: 'raw,engine,pipeline' },
    split: { type: 'string', default: 'dev' },
    'peak-tflops': { type: 'string' },
  },
});

interface Result {
  mode: string;
  dtype: string;
  tokensPerSec: number;
  seconds: number;
  realTokens: number;
  paddingWaste: number;
  peakRssMb: number;
  tflops: number;
  /** main-thread busy milliseconds per batch (engine modes; event-loop utilization): tokenizing, feeds, extraction */
  mainMsPerBatch?: number;
}

async function runMode(mode: string, dtype: string): Promise<Result> {
  const texts = readJsonl<{ text: string }>(`sst2/${values.split}.jsonl`)
    .slice(0, values.limit ? Number(values.limit) : undefined)
    .map((r) => ({ text: r.text }));
  const limits = { tokenBudget: Number(values.budget), maxBatchSize: 64 };
  const thread = mode === 'engine-main' ? 'main' : 'worker';
  const teacher = await OnnxTeacher.load({
    name: 'bench',
    dir: values.model!,
    dtype,
    device: values.device as Device,
    limits,
    thread,
  });
  const spec = {
    logits: true,
    temperatures: [],
    hidden: { layers: 'last' as const, pooling: 'cls' as const },
    encoding: 'fp32' as const,
  };
  const lastHidden = `hidden_states.${teacher.outputs.hiddenLayers.at(-1)}`;
  const encoded = teacher.encode(texts);
  const lengths = encoded.map((e) => e.ids.length);
  const realTokens = lengths.reduce((a, b) => a + b, 0);
  const batches = planBatches(lengths, limits);
  // Warm-up: one small batch so graph initialisation is not timed.
  await teacher.inferEncoded(encoded.slice(0, 8), spec);
  const shape = encoderShape(values.model!);
  // what the device computes: the engine's padded batches, or one text per call for the pipeline
  const flops =
    mode === 'pipeline'
      ? lengths.reduce((s, n) => s + batchFlops(shape, 1, n), 0)
      : batches.reduce((s, b) => s + batchFlops(shape, b.length, Math.max(...b.map((i) => lengths[i]!))), 0);
  let seconds = 0;
  let mainMs = 0;
  if (mode === 'raw') {
    const session = await ort.InferenceSession.create(locateModelFiles(values.model!, dtype).onnxPath, {
      executionProviders: [values.device === 'auto' ? 'cpu' : (values.device as 'cpu')],
      graphOptimizationLevel: 'all',
      interOpNumThreads: 1,
    });
    const feedsList = batches.map((b) => {
      const seq = Math.max(...b.map((i) => lengths[i]!));
      const ids = new BigInt64Array(b.length * seq);
      const mask = new BigInt64Array(b.length * seq);
      b.forEach((i, r) =>
        encoded[i]!.ids.forEach((id, p) => ((ids[r * seq + p] = BigInt(id)), (mask[r * seq + p] = 1n))),
      );
      const dims = [b.length, seq];
      return {
        input_ids: new ort.Tensor('int64', ids, dims),
        attention_mask: new ort.Tensor('int64', mask, dims),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(b.length * seq), dims),
      };
    });
    await session.run(feedsList[0]!, ['logits', lastHidden]);
    const t0 = performance.now();
    for (const feeds of feedsList) await session.run(feeds, ['logits', lastHidden]);
    seconds = (performance.now() - t0) / 1000;
    await session.release();
  } else if (mode === 'engine' || mode === 'engine-main' || mode === 'engine-1plan') {
    // engine-1plan: the whole call tokenized on the main thread up front and run as one plan (what
    // every call did before large calls were pipelined; calls of <= 4096 texts still do)
    // (checked, so this script also measures older sources as a same-run baseline)
    // the thread starts only for calls it serves (more than 4,096 texts); started here so its boot is not timed
    if (mode === 'engine' && 'startTokenizerThread' in teacher && texts.length > 4096) {
      await teacher.startTokenizerThread();
    }
    const elu = performance.eventLoopUtilization();
    const t0 = performance.now();
    if (mode === 'engine-1plan') await teacher.inferEncoded(teacher.encode(texts), spec);
    else await teacher.infer(texts, spec);
    seconds = (performance.now() - t0) / 1000;
    mainMs = performance.eventLoopUtilization(elu).active;
  } else if (mode === 'pipeline') {
    // the same device as the engine, so the comparison is like for like
    const device = values.device === 'auto' ? 'cpu' : (values.device as 'cpu');
    const classify = await pipeline('text-classification', path.resolve(values.model!), {
      dtype: dtype as 'fp32',
      device,
    });
    await classify(texts[0]!.text);
    const t0 = performance.now();
    for (const t of texts) await classify(t.text);
    seconds = (performance.now() - t0) / 1000;
    await classify.dispose();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await teacher.dispose();
  return {
    mode,
    dtype,
    tokensPerSec: realTokens / seconds,
    seconds,
    realTokens,
    paddingWaste: paddingWaste(lengths, batches),
    peakRssMb: peakRssMb(),
    tflops: flops / seconds / 1e12,
    ...(mode.startsWith('engine') ? { mainMsPerBatch: mainMs / batches.length } : {}),
  };
}

if (values.mode) {
  console.log(JSON.stringify(await runMode(values.mode, values.dtype ?? 'fp32')));
} else {
  console.log(
    `model ${values.model}, device ${values.device}, SST-2 ${values.split}${values.limit ? ` (first ${values.limit})` : ''}, token budget ${values.budget}`,
  );
  const peak = values['peak-tflops'] ? Number(values['peak-tflops']) : undefined;
  console.log(
    `dtype  mode        tok/s    seconds  padding  peakRSS(MB)  vs raw  TFLOP/s${peak ? '  of peak' : ''}  main-thread ms/batch`,
  );
  for (const dtype of values.dtypes!.split(',')) {
    const results: Result[] = [];
    const modes = values.modes!.split(',');
    for (const mode of modes) {
      const args = [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'bench/teacher.ts'),
        '--mode',
        mode,
        '--dtype',
        dtype,
        '--model',
        values.model!,
        '--device',
        values.device!,
        '--budget',
        values.budget!,
        '--split',
        values.split!,
      ];
      if (values.limit) args.push('--limit', values.limit);
      const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as Result;
      results.push(r);
      const raw = results[0]!.tokensPerSec;
      console.log(
        `${dtype.padEnd(6)} ${mode.padEnd(11)} ${r.tokensPerSec.toFixed(0).padStart(6)}  ${r.seconds.toFixed(1).padStart(7)}  ${(r.paddingWaste * 100).toFixed(1).padStart(6)}%  ${String(r.peakRssMb).padStart(10)}  ${(r.tokensPerSec / raw).toFixed(2)}x  ${r.tflops.toFixed(3).padStart(7)}${peak ? `  ${((r.tflops / peak) * 100).toFixed(1).padStart(6)}%` : ''}  ${r.mainMsPerBatch === undefined ? '' : r.mainMsPerBatch.toFixed(2).padStart(8)}`,
      );
    }
    const by = (m: string) => results[modes.indexOf(m)]?.tokensPerSec ?? NaN;
    console.log(
      `${dtype}: engine/raw = ${(by('engine') / by('raw')).toFixed(2)} (target >= 0.95), engine/pipeline = ${(by('engine') / by('pipeline')).toFixed(2)} (target >= 2), engine worker/main thread = ${(by('engine') / by('engine-main')).toFixed(2)}`,
    );
  }
}
