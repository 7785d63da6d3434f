/**
 * The tiny Marian fixture through transformers.js pipeline('translation') on SST-2 dev sentences:
 * one text at a time vs batches, sentences/s and generated tokens/s. Shows what batching buys the
 * back-translation op (issue 5) with a KV-cache decoder; the model itself is nearly free, so the
 * figures measure transformers.js's generation loop and ONNX Runtime call overhead.
 *
 * Modes alternate for --rounds rounds and the median is reported (the dev machine is shared).
 *
 *   npx tsx bench/marian-fixture.ts [--limit 128] [--batch 16] [--rounds 3]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline, type TranslationPipeline } from '@huggingface/transformers';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '128' },
    batch: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
  },
});
const limit = Number(values.limit);
const batchSize = Number(values.batch);
const rounds = Number(values.rounds);

env.allowRemoteModels = false;
env.localModelPath = path.join(REPO_ROOT, 'models');
const translator = (await pipeline('translation', 'tiny-marian-en-xx')) as TranslationPipeline;
const texts = sst2Dev()
  .slice(0, limit)
  .map((r) => r.text);
const words = texts.reduce((n, t) => n + t.split(/\s+/).length, 0);

/** Seconds to translate all texts in chunks of `chunk`, and the outputs. */
async function timeRun(chunk: number): Promise<{ seconds: number; outputs: string[] }> {
  const outputs: string[] = [];
  const start = performance.now();
  for (let i = 0; i < texts.length; i += chunk) {
    const out = (await translator(texts.slice(i, i + chunk))) as { translation_text: string }[];
    outputs.push(...out.map((o) => o.translation_text));
  }
  return { seconds: (performance.now() - start) / 1000, outputs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `tiny-marian-en-xx, ${texts.length} SST-2 dev sentences (${words} words), Node ${process.version}, median of ${rounds}`,
);
await timeRun(batchSize); // warm-up
const modes = [
  { label: 'one at a time', chunk: 1, seconds: [] as number[], outputs: [] as string[] },
  { label: `batches of ${batchSize}`, chunk: batchSize, seconds: [] as number[], outputs: [] as string[] },
];
for (let r = 0; r < rounds; r++) {
  for (const mode of modes) {
    const { seconds, outputs } = await timeRun(mode.chunk);
    mode.seconds.push(seconds);
    mode.outputs = outputs;
  }
}
for (const mode of modes) {
  const seconds = median(mode.seconds);
  console.log(
    `${mode.label.padEnd(16)} ${(texts.length / seconds).toFixed(1).padStart(7)} sentences/s  ${(words / seconds).toFixed(0).padStart(6)} words/s  (${seconds.toFixed(2)} s; runs ${mode.seconds.map((x) => x.toFixed(2)).join(', ')})`,
  );
}
console.log(`batched / one at a time: ${(median(modes[0]!.seconds) / median(modes[1]!.seconds)).toFixed(2)}x`);
console.log(
  `batched output identical to one at a time: ${JSON.stringify(modes[0]!.outputs) === JSON.stringify(modes[1]!.outputs)}`,
);
await translator.dispose();
