/**
 * Pipeline overhead and memory.
 *
 * speed: SST-2 dev (first --limit sentences) x eda (4 augmentations each) through a teacher. Each round
 *   times the job (scan, read, augment, dedupe, hash, label cache-first, commit to SQLite) into a fresh
 *   store, the wall time inside its teacher calls, and then the teacher engine alone on exactly the texts
 *   the job stored, in the same process with the model loaded. On a shared machine the teacher's speed
 *   swings between calls, so the robust figure is the job's time beyond its own teacher calls; the
 *   job-vs-alone ratio is printed too. Target: the pipeline adds <= 10%.
 * rss: one job over a corpus in a child process, reporting its peak RSS (memory must not grow with the
 *   corpus: compare SST-2 dev with SST-2 train, 67k rows).
 *
 *   npx tsx bench/pipeline.ts speed [--model bench/models/bench-bert-base] [--dtypes fp32,q8] [--limit 872] [--rounds 3]
 *   npx tsx bench/pipeline.ts rss [--corpus sst2/train.jsonl] [--teacher demo] [--variants 1]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { TeacherRunner, TextInput } from '../src/core/types.ts';
import { makeAugmenterFactory } from '../src/jobs/augmenter.ts';
import { parseJob, type JobInput } from '../src/jobs/job-schema.ts';
import { resolveJob } from '../src/jobs/resolve-job.ts';
import { runJob } from '../src/jobs/runner/run-job.ts';
import { openStore } from '../src/store/index.ts';
import { TeacherRegistry } from '../src/teacher/registry.ts';
import { peakRssMb, REPO_ROOT, SHARED_DIR } from './corpus.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'bench/models/bench-bert-base') },
    dtypes: { type: 'string', default: 'fp32,q8' },
    limit: { type: 'string', default: '872' },
    rounds: { type: 'string', default: '3' },
    corpus: { type: 'string', default: 'sst2/train.jsonl' },
    teacher: { type: 'string', default: 'demo' },
    variants: { type: 'string', default: '1' },
    child: { type: 'boolean', default: false },
  },
});

const mode = positionals[0] ?? 'speed';
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** The teacher as the job sees it, timing the wall time spent inside its infer calls. */
function timed(teacher: TeacherRunner): { runner: TeacherRunner; seconds: () => number } {
  let ms = 0;
  const runner: TeacherRunner = {
    info: teacher.info,
    async infer(inputs, spec, opts) {
      const t0 = performance.now();
      try {
        return await teacher.infer(inputs, spec, opts);
      } finally {
        ms += performance.now() - t0;
      }
    },
    dispose: () => teacher.dispose(),
  };
  return { runner, seconds: () => ms / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function speed(dtype: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-bench-'));
  const { writeFileSync, readFileSync } = await import('node:fs');
  const corpus = path.join(dir, 'dev.jsonl');
  const limit = Number(values.limit);
  const rounds = Number(values.rounds);
  writeFileSync(
    corpus,
    readFileSync(path.join(SHARED_DIR, 'data/corpora/sst2/dev.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, limit)
      .join('\n') + '\n',
  );
  const registry = new TeacherRegistry(
    [{ name: 'bench', path: values.model!, dtype: dtype as 'fp32', device: 'cpu' }],
    {
      modelsDir: path.join(REPO_ROOT, 'models'),
      allowRemote: false,
    },
  );
  const teacher = await registry.get('bench');
  const spec = { logits: true, temperatures: [1], encoding: 'fp32' as const };
  // a warm-up call so neither side pays for first-run allocations
  await teacher.infer([{ text: 'a warm up sentence .' }], spec);
  // the recipe's one-time setup (WordNet index, tagger) is reported apart: it does not grow with the corpus
  const tSetup = performance.now();
  const augmenter = await makeAugmenterFactory()({ builtin: 'eda', variants: 4 }, 1, {
    corpusRecords: limit,
    teachers: [],
  });
  await augmenter.augment([{ id: 'w', text: 'a warm up sentence for the augmenter .', origin: { kind: 'original' } }]);
  const setupSeconds = seconds(tSetup);

  const job: JobInput = {
    dataset: 'bench',
    corpus: { path: corpus },
    recipe: { builtin: 'eda', variants: 4 },
    seed: 1,
    teachers: ['bench'],
    outputs: { temperatures: [1] },
  };
  const results: { job: number; inJobTeacher: number; alone: number; examples: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    // a fresh store each round, so the job computes everything (no cache hits)
    const store = openStore(path.join(dir, `bench-${round}.db`));
    const t = timed(teacher);
    const opts = await resolveJob(parseJob(job), {
      store,
      teachers: { get: async () => t.runner },
      augmenterFactory: async () => augmenter,
    });
    const tJob = performance.now();
    const result = await runJob({ ...opts, augmenter });
    const jobSeconds = seconds(tJob);
    const texts: TextInput[] = [...store.iterateExamples('bench')].map((e) =>
      e.textPair === undefined ? { text: e.text } : { text: e.text, textPair: e.textPair },
    );
    store.close();
    // the teacher engine alone on exactly the texts the job stored, in the job's chunk size
    const tAlone = performance.now();
    for (let i = 0; i < texts.length; i += 1000) await teacher.infer(texts.slice(i, i + 1000), spec);
    results.push({ job: jobSeconds, inJobTeacher: t.seconds(), alone: seconds(tAlone), examples: result.examples });
  }
  const n = results[0]!.examples;
  const r2 = (x: number) => Number(x.toFixed(2));
  console.log(
    JSON.stringify({
      dtype,
      sentences: limit,
      examples: n,
      rounds: results.map((r) => ({
        jobSeconds: r2(r.job),
        teacherInsideJobSeconds: r2(r.inJobTeacher),
        teacherAloneSeconds: r2(r.alone),
      })),
      recipeSetupSeconds: r2(setupSeconds),
      // robust to a busy machine: the job's wall time beyond the teacher calls it made, in the same seconds
      overheadOverInJobTeacherPercent: r2(median(results.map((r) => (r.job / r.inJobTeacher - 1) * 100))),
      // the literal comparison, as noisy as the machine: job vs the engine alone on the same texts
      pipelineExamplesPerSecond: r2(n / median(results.map((r) => r.job))),
      teacherAloneExamplesPerSecond: r2(n / median(results.map((r) => r.alone))),
      jobOverAlonePercentMedian: r2(median(results.map((r) => (r.job / r.alone - 1) * 100))),
    }),
  );
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}

async function rssChild(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-bench-rss-'));
  const registry = new TeacherRegistry(
    [{ name: values.teacher!, path: path.join(REPO_ROOT, 'models/demo-sentiment'), dtype: 'fp32', device: 'cpu' }],
    {
      modelsDir: path.join(REPO_ROOT, 'models'),
      allowRemote: false,
    },
  );
  const store = openStore(path.join(dir, 'rss.db'));
  const variants = Number(values.variants);
  const job: JobInput = {
    dataset: 'rss',
    corpus: { path: path.join(SHARED_DIR, 'data/corpora', values.corpus!) },
    recipe: variants > 0 ? { builtin: 'eda', variants } : null,
    seed: 1,
    teachers: [values.teacher!],
    outputs: { temperatures: [1, 2], topK: 2 },
  };
  const opts = await resolveJob(parseJob(job), { store, teachers: registry, augmenterFactory: makeAugmenterFactory() });
  let sampled = 0;
  /** RSS (MB) after each tenth of the corpus: flat memory means this stops growing */
  const curve: number[] = [];
  /** live JS heap (MB) after a full GC at each tenth, when run with --expose-gc: growth here would be a leak */
  const heap: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const t0 = performance.now();
  const result = await runJob({
    ...opts,
    onProgress: (e) => {
      const rss = process.memoryUsage().rss;
      sampled = Math.max(sampled, rss);
      if (e.totalRecords && e.records >= ((curve.length + 1) / 10) * e.totalRecords) {
        curve.push(Math.round(rss / 2 ** 20));
        if (gc) {
          gc();
          heap.push(Math.round(process.memoryUsage().heapUsed / 2 ** 20));
        }
      }
    },
  });
  const s = seconds(t0);
  console.log(
    JSON.stringify({
      corpus: values.corpus,
      variants,
      records: result.records,
      examples: result.examples,
      seconds: Number(s.toFixed(1)),
      examplesPerSecond: Number((result.examples / s).toFixed(1)),
      peakRssMb: peakRssMb(),
      maxSampledRssMb: Math.round(sampled / 2 ** 20),
      rssMbPerTenth: curve,
      ...(gc ? { heapMbAfterGcPerTenth: heap } : {}),
    }),
  );
  store.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}

if (mode === 'speed') {
  console.log(`# pipeline vs teacher alone, ${values.model}, node ${process.version}`);
  for (const dtype of values.dtypes!.split(',')) await speed(dtype);
} else if (mode === 'rss' && values.child) {
  await rssChild();
} else if (mode === 'rss') {
  // a child process per measurement, so peak RSS is the job's own
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    path.join(REPO_ROOT, 'bench/pipeline.ts'),
    'rss',
    '--child',
    '--corpus',
    values.corpus!,
    '--teacher',
    values.teacher!,
    '--variants',
    values.variants!,
  ];
  process.stdout.write(
    execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  );
} else {
  throw new Error(`unknown mode ${mode}: use speed or rss`);
}
