/**
 * Two store figures with the demo teacher (models/demo-sentiment) on SST-2 dev:
 *
 *   cache hit   labelling the corpus a second time (missingComponents finds nothing, getOutputs
 *               decodes the cached rows) against the first pass in the same run (missingComponents,
 *               teacher.infer on every input, putOutputs, getOutputs)
 *   fidelity    per encoding (fp32, fp16, int8 per-row scale): bytes per example of the stored
 *               logits blob, max |logit error|, and KL(p_fp32 || p_decoded) at T = 1, 2, 4
 *               (mean and max over the corpus)
 *
 *   npx tsx bench/store-labelling.ts [--model models/demo-sentiment] [--repeat 3] [--limit N]
 *   (--model ../main/bench/models/bench-bert-base --limit 100 --repeat 1: a BERT-base-sized teacher)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Encoding, OutputSpec, TeacherOutput, TextInput } from '../src/core/types.ts';
import { OnnxTeacher } from '../src/teacher/onnx-teacher.ts';
import { decodeTensor, encodeTensor, inputHash, klDivergence, openStore } from '../src/store/index.ts';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'models/demo-sentiment') },
    repeat: { type: 'string', default: '3' },
    limit: { type: 'string' },
  },
});

const TEMPS = [1, 2, 4];

/** float64 softmax: KL near 1e-9 needs more precision than float32 probabilities carry */
function softmax64(z: ArrayLike<number>, t: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]! / t);
  const e = Float64Array.from({ length: z.length }, (_, i) => Math.exp(z[i]! / t - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
const texts: TextInput[] = sst2Dev()
  .slice(0, values.limit ? Number(values.limit) : undefined)
  .map((r) => ({ text: r.text }));
const teacher = await OnnxTeacher.load({ name: 'demo-sentiment', dir: values.model! });
const fp = teacher.info.fingerprint;
const spec: OutputSpec = {
  logits: true,
  temperatures: TEMPS,
  hidden: { layers: 'last', pooling: 'cls' },
  encoding: 'fp32',
};
await teacher.infer(texts.slice(0, 8), spec); // warm-up: graph initialisation is not timed

const dir = mkdtempSync(path.join(tmpdir(), 'store-labelling-'));
try {
  const firsts: number[] = [];
  const hits: number[] = [];
  let reference: Map<string, TeacherOutput> | undefined;
  for (let r = 0; r < Number(values.repeat); r++) {
    const store = openStore(path.join(dir, `run-${r}.db`));
    store.registerTeacher(teacher.info);
    const hashes = texts.map(inputHash);
    const label = async (): Promise<Map<string, TeacherOutput>> => {
      const missing = store.missingComponents(fp, hashes, spec);
      if (missing.size > 0) {
        const todo = texts.filter((_, i) => missing.has(hashes[i]!));
        const outputs = await teacher.infer(todo, spec);
        store.putOutputs(
          fp,
          todo.map((t, i) => ({ inputHash: inputHash(t), output: outputs[i]! })),
          spec,
        );
      }
      return store.getOutputs(fp, hashes, spec);
    };
    let t0 = performance.now();
    const first = await label();
    firsts.push(performance.now() - t0);
    t0 = performance.now();
    const second = await label();
    hits.push(performance.now() - t0);
    if (second.size !== texts.length || first.size !== new Set(hashes).size)
      throw new Error('cache returned the wrong number of outputs');
    reference ??= first;
    store.close();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const f = median(firsts);
  const h = median(hits);
  console.log(
    `cache hit: SST-2 dev, ${texts.length} texts, teacher ${path.basename(values.model!)} (${teacher.info.device}), spec logits + T=${TEMPS.join(',')} + last hidden cls, median of ${values.repeat}`,
  );
  console.log(
    `  first pass (missing -> infer -> put -> get)   ${f.toFixed(1)} ms   ${Math.round(texts.length / (f / 1000))} texts/s`,
  );
  console.log(
    `  cache hit  (missing -> get)                   ${h.toFixed(1)} ms   ${Math.round(texts.length / (h / 1000))} texts/s   speed-up ${(f / h).toFixed(1)}x`,
  );

  console.log(
    `fidelity: ${reference!.size} distinct SST-2 dev inputs, ${teacher.info.labels.length} classes, pooled hidden of ${reference!.values().next().value!.hidden![0]!.value.data.length} dims`,
  );
  console.log(
    '  encoding  logits B/ex  +hidden B/ex  max|dlogit|  max|dhidden|  KL T=1 mean / max        KL T=2 mean / max        KL T=4 mean / max',
  );
  for (const enc of ['fp32', 'fp16', 'int8'] as Encoding[]) {
    let bytes = 0;
    let hiddenBytes = 0;
    let maxErr = 0;
    let maxHiddenErr = 0;
    const kl = TEMPS.map(() => ({ sum: 0, max: 0 }));
    for (const out of reference!.values()) {
      const blob = encodeTensor(out.logits!, [out.logits!.length], enc);
      bytes += blob.length;
      const back = decodeTensor(blob).data;
      out.logits!.forEach((z, i) => (maxErr = Math.max(maxErr, Math.abs(z - back[i]!))));
      const hidden = out.hidden![0]!.value.data;
      const hiddenBlob = encodeTensor(hidden, [hidden.length], enc);
      hiddenBytes += hiddenBlob.length;
      const hiddenBack = decodeTensor(hiddenBlob).data;
      hidden.forEach((x, i) => (maxHiddenErr = Math.max(maxHiddenErr, Math.abs(x - hiddenBack[i]!))));
      TEMPS.forEach((t, i) => {
        const d = klDivergence(softmax64(out.logits!, t), softmax64(back, t));
        kl[i]!.sum += d;
        kl[i]!.max = Math.max(kl[i]!.max, d);
      });
    }
    const n = reference!.size;
    const cells = kl.map((k) => `${(k.sum / n).toExponential(2)} / ${k.max.toExponential(2)}`.padEnd(25));
    console.log(
      `  ${enc.padEnd(8)}  ${(bytes / n).toFixed(1).padStart(11)}  ${((bytes + hiddenBytes) / n).toFixed(1).padStart(12)}  ${maxErr.toExponential(2).padStart(11)}  ${maxHiddenErr.toExponential(2).padStart(12)}  ${cells.join('')}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await teacher.dispose();
}
