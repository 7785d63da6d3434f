/**
 * fp16 vs fp32 fidelity of one teacher on all of SST-2 dev: mean KL(p_fp32 || p_fp16) at T = 1, 2, 4
 * and argmax agreement (targets: KL <= 1e-4, agreement >= 99.5%), plus the fp16 / fp32 engine time in
 * the same run. For the BERT-base bench model, which is too big to build in every test run
 * (test/teacher/fp16.test.ts asserts the same targets for the demo teacher):
 *
 *   npx tsx src/cli/main.ts models build-bench bench/models      # writes model_fp16.onnx too
 *   npx tsx bench/fp16-fidelity.ts [--model bench/models/bench-bert-base] [--device cpu] [--threads N]
 *
 * Exits 1 when a target is missed, so a GPU session's script can check it too.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { argmax, klDivergence, softmaxT } from '../src/core/soft-labels.ts';
import type { OutputSpec } from '../src/core/types.ts';
import type { Device } from '../src/teacher/devices.ts';
import { OnnxTeacher } from '../src/teacher/onnx-teacher.ts';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'bench/models/bench-bert-base') },
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    limit: { type: 'string' },
  },
});

const TEMPERATURES = [1, 2, 4];
const spec: OutputSpec = { logits: true, temperatures: [], encoding: 'fp32' };
const texts = sst2Dev()
  .slice(0, values.limit ? Number(values.limit) : undefined)
  .map((r) => ({ text: r.text }));

async function label(dtype: string): Promise<{ logits: Float32Array[]; seconds: number; device: string }> {
  const teacher = await OnnxTeacher.load({
    name: `bench-${dtype}`,
    dir: values.model!,
    dtype,
    device: values.device as Device,
    ...(values.threads ? { threads: Number(values.threads) } : {}),
    log: (l) => console.error(l),
  });
  await teacher.infer(texts.slice(0, 8), spec); // warm-up, not timed
  const t0 = performance.now();
  const out = await teacher.infer(texts, spec);
  const seconds = (performance.now() - t0) / 1000;
  const device = teacher.info.device;
  await teacher.dispose();
  return { logits: out.map((o) => o.logits!), seconds, device };
}

const full = await label('fp32');
const half = await label('fp16');
const kl = TEMPERATURES.map((T) => {
  let sum = 0;
  let max = 0;
  full.logits.forEach((z, i) => {
    const k = klDivergence(softmaxT(z, T), softmaxT(half.logits[i]!, T));
    sum += k;
    max = Math.max(max, k);
  });
  return { T, meanKl: sum / texts.length, maxKl: max };
});
const agreement = full.logits.filter((z, i) => argmax(z) === argmax(half.logits[i]!)).length / texts.length;
const result = {
  model: path.relative(REPO_ROOT, path.resolve(values.model!)),
  device: { fp32: full.device, fp16: half.device },
  examples: texts.length,
  kl,
  agreement,
  seconds: { fp32: full.seconds, fp16: half.seconds },
  fp16OverFp32Speed: full.seconds / half.seconds,
};
console.log(JSON.stringify(result, null, 2));
const ok = kl.every((k) => k.meanKl <= 1e-4) && agreement >= 0.995;
console.log(ok ? 'fidelity targets met' : 'fidelity targets MISSED');
process.exitCode = ok ? 0 : 1;
