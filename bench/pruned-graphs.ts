/**
 * The teacher engine with graphs pruned to the outputs a job asks for (src/teacher/pruned-graphs.ts)
 * against the engine computing every graph output (pruneOutputs: false, how it ran before), on the
 * bench model, whose graph exposes every layer's hidden states and attentions. The spec is the one of
 * bench/teacher.ts: logits plus the [CLS]-pooled last hidden state. Both teachers live in one process
 * and alternate pass by pass over the same SST-2 dev sentences, so load swings hit both; real
 * (non-padding) tokens/s, median of --rounds. Also prints the one-time cost of pruning (writing the
 * pruned file, as the engine does) and the largest difference between the two engines' outputs.
 *
 *   npx distillery models build-bench bench/models
 *   npx tsx bench/pruned-graphs.ts [--model bench/models/bench-bert-base] [--dtype q8] [--rounds 3] [--limit 300]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { OutputSpec, TeacherOutput } from '../src/core/types.ts';
import { locateModelFiles } from '../src/teacher/model-files.ts';
import { writePrunedModel } from '../src/teacher/onnx/prune-outputs.ts';
import { OnnxTeacher } from '../src/teacher/onnx-teacher.ts';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'bench/models/bench-bert-base') },
    dtype: { type: 'string', default: 'q8' },
    rounds: { type: 'string', default: '3' },
    limit: { type: 'string', default: '300' },
    budget: { type: 'string', default: '2048' },
  },
});
const dtype = values.dtype!;
const texts = sst2Dev()
  .slice(0, Number(values.limit))
  .map((r) => ({ text: r.text }));
const limits = { tokenBudget: Number(values.budget), maxBatchSize: 64 };
const spec: OutputSpec = {
  logits: true,
  temperatures: [],
  hidden: { layers: 'last', pooling: 'cls' },
  encoding: 'fp32',
};

const onnxPath = locateModelFiles(values.model!, dtype).onnxPath;
const whole = await OnnxTeacher.load({ name: 'whole', dir: values.model!, dtype, limits, pruneOutputs: false });
const pruned = await OnnxTeacher.load({ name: 'pruned', dir: values.model!, dtype, limits, pruneOutputs: true });
const keep = ['logits', `hidden_states.${whole.outputs.hiddenLayers.at(-1)}`];
const prunedFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'distillery-bench-')), 'model.onnx');
const t0 = performance.now();
const result = await writePrunedModel(onnxPath, keep, prunedFile);
const pruneMs = performance.now() - t0;
if ('skipped' in result) throw new Error(`pruning skipped: ${result.skipped}`);
console.log(
  `${path.basename(values.model!)} ${dtype}: ${whole.session.outputNames.length} graph outputs; pruned to ${keep.join(', ')}: ` +
    `${result.removedOutputs.length} outputs and ${result.removedNodes} nodes removed, ${(statSync(onnxPath).size / 1e6).toFixed(0)} -> ` +
    `${(result.size / 1e6).toFixed(0)} MB; writePrunedModel (file to file, as the engine does) took ${pruneMs.toFixed(0)} ms`,
);
rmSync(path.dirname(prunedFile), { recursive: true, force: true });

const encoded = whole.encode(texts);
const realTokens = encoded.reduce((n, e) => n + e.ids.length, 0);
const t1 = performance.now();
const first = await pruned.inferEncoded(encoded.slice(0, 8), spec); // opens the pruned graph
console.log(
  `first call of the pruned engine (prune, open the graph, 8 sentences): ${(performance.now() - t1).toFixed(0)} ms`,
);
const reference = await whole.inferEncoded(encoded.slice(0, 8), spec);

const maxDiff = (a: TeacherOutput[], b: TeacherOutput[]): number => {
  let m = 0;
  a.forEach((o, i) => {
    o.logits!.forEach((v, k) => (m = Math.max(m, Math.abs(v - b[i]!.logits![k]!))));
    o.hidden![0]!.value.data.forEach((v, k) => (m = Math.max(m, Math.abs(v - b[i]!.hidden![0]!.value.data[k]!))));
  });
  return m;
};
const firstDiff = maxDiff(first, reference);

const rates: Record<'whole' | 'pruned', number[]> = { whole: [], pruned: [] };
const last: Partial<Record<'whole' | 'pruned', TeacherOutput[]>> = {};
const load0 = os.loadavg()[0]!;
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, teacher] of [
    ['whole', whole],
    ['pruned', pruned],
  ] as const) {
    const t = performance.now();
    last[name] = await teacher.inferEncoded(encoded, spec);
    rates[name].push(realTokens / ((performance.now() - t) / 1000));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  `${texts.length} SST-2 dev sentences (${realTokens} real tokens) x ${values.rounds} rounds, load average ` +
    `${load0.toFixed(1)} -> ${os.loadavg()[0]!.toFixed(1)}, ${os.cpus().length} x ${os.cpus()[0]?.model}`,
);
console.log(`| engine | real tokens/s (median) | all rounds |\n| --- | ---: | --- |`);
for (const name of ['whole', 'pruned'] as const)
  console.log(`| ${name} | ${Math.round(median(rates[name]))} | ${rates[name].map(Math.round).join(', ')} |`);
const diff = Math.max(firstDiff, maxDiff(last.pruned!, last.whole!));
console.log(
  `pruned / whole: ${(median(rates.pruned) / median(rates.whole)).toFixed(2)}x; max abs output diff ${diff.toExponential(1)}`,
);
await whole.dispose();
await pruned.dispose();
