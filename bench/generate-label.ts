/**
 * Generate-then-label, one causal-LM job (`sequence.generate`) over SST-2 dev sentences as prompts:
 *   recorded        the generation's per-token targets are stored as the rows' labels (decode-recorder.ts);
 *                   only rows whose text re-encodes otherwise get a teacher-forced forward
 *   teacher-forced  the old path: generate, then label every row with a teacher-forced forward
 * Both write the same rows and text (the same seeded streams); each mode runs in a fresh store, the
 * modes alternate and each runs `--passes` times, so both figures come from the same process and load.
 *
 *   npx tsx bench/generate-label.ts [--model models/demo-lm] [--prompts 64] [--n 1] [--new 24] [--passes 2]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseJob, runSequenceJob } from '../src/jobs/index.ts';
import { openStore } from '../src/store/index.ts';
import { CausalGenerator } from '../src/teacher/causal/causal-generator.ts';
import { CausalTeacher } from '../src/teacher/causal/causal-teacher.ts';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'models', 'demo-lm') },
    prompts: { type: 'string', default: '64' },
    new: { type: 'string', default: '24' },
    n: { type: 'string', default: '1' },
    passes: { type: 'string', default: '2' },
  },
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-generate-label-'));
const corpus = path.join(dir, 'prompts.jsonl');
writeFileSync(
  corpus,
  sst2Dev()
    .slice(0, Number(values.prompts))
    .map((r, i) => JSON.stringify({ id: `p${i}`, prompt: `Q: Say more about "${r.text.trim()}"\nA:` }))
    .join('\n') + '\n',
);
const job = parseJob({
  dataset: 'bench',
  corpus: { path: corpus },
  teachers: ['lm'],
  seed: 3,
  chunkSize: 16,
  sequence: {
    topK: 32,
    samples: 64,
    target: true,
    generate: { n: Number(values.n), maxNewTokens: Number(values.new), temperature: 0.8, topP: 0.95 },
  },
});

const graphCacheDir = path.join(dir, 'graphs');
const teacher = await CausalTeacher.load({ name: 'lm', dir: values.model, graphCacheDir });
const generator = await CausalGenerator.load({ name: 'lm', dir: values.model, graphCacheDir });
console.log(
  `model ${values.model}: vocab ${teacher.info.vocabSize}, ${values.prompts} prompts x ${values.n}, ${values.new} new tokens`,
);

let run = 0;
async function once(recordLabels: boolean) {
  const store = openStore(path.join(dir, `run-${run++}.db`));
  const forwards = teacher.forwards;
  const start = performance.now();
  const result = await runSequenceJob({ job, store, teacher, generator, recordLabels });
  const seconds = (performance.now() - start) / 1000;
  store.close();
  return { seconds, result, forwards: teacher.forwards - forwards };
}

const modes = [
  ['teacher-forced', false],
  ['recorded', true],
] as const;
const times = new Map<string, number[]>(modes.map(([m]) => [m, []]));
for (let p = 0; p < Number(values.passes); p++) {
  for (const [mode, record] of p % 2 === 0 ? modes : [...modes].reverse()) {
    const { seconds, result, forwards } = await once(record);
    times.get(mode)!.push(seconds);
    console.log(
      `pass ${p + 1} ${mode.padEnd(14)} ${seconds.toFixed(2)} s  rows ${result.records}, labelled ${result.examples}, ` +
        `from recordings ${result.recorded ?? 0}, teacher-forced forwards ${forwards}`,
    );
  }
}
const best = (m: string) => Math.min(...times.get(m)!);
const median = (m: string) => {
  const t = [...times.get(m)!].sort((a, b) => a - b);
  return (t[(t.length - 1) >> 1]! + t[t.length >> 1]!) / 2;
};
for (const [name, of] of [
  ['best', best],
  ['median', median],
] as const)
  console.log(
    `${name} of ${values.passes}: teacher-forced ${of('teacher-forced').toFixed(2)} s, recorded ${of('recorded').toFixed(2)} s ` +
      `(recorded ${(of('teacher-forced') / of('recorded')).toFixed(2)}x as fast)`,
  );
await teacher.dispose();
await generator.dispose();
rmSync(dir, { recursive: true, force: true });
