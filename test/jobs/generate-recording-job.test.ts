/**
 * A causal-LM job with `sequence.generate` where the generator is the labelling teacher's own model
 * (models/demo-lm), in process with a real SQLite store: every generated row is labelled from its
 * generation's recording and stored under the address teacher-forced labelling uses, with zero
 * teacher-forced forwards; the same job on the old path (recordLabels: false) gives the same rows and
 * hashes and labels that agree within the store's quantization. Rows a recording cannot label exactly
 * (ids that do not re-encode as written, stop strings cut inside a token, scope `all`) fall back to
 * teacher-forced labelling, row by row.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import type { SequenceOutputSpec } from '../../src/core/sequence-types.ts';
import { parseJob, runSequenceJob, type JobResult } from '../../src/jobs/index.ts';
import { recordOptionsOf, sequenceDatasetSpec } from '../../src/jobs/sequence/run-sequence-job.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { CausalGenerator } from '../../src/teacher/causal/causal-generator.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('generate-recording-job-');
const graphCacheDir = path.join(dir, 'graphs');
const DEMO_LM = path.join(REPO_ROOT, 'models', 'demo-lm');
const PROMPTS = path.join(REPO_ROOT, 'data', 'demo-prompts.jsonl');
const SPEC: SequenceOutputSpec = { temperature: 1, topK: 8, samples: { draws: 16 }, target: true };

let teacher: CausalTeacher;
let generator: CausalGenerator;
before(async () => {
  teacher = await CausalTeacher.load({ name: 'demo-lm', dir: DEMO_LM, graphCacheDir });
  generator = await CausalGenerator.load({ name: 'demo-lm', dir: DEMO_LM, graphCacheDir });
});
after(async () => {
  await teacher.dispose();
  await generator.dispose();
});

interface Run {
  result: JobResult;
  /** teacher-forced forwards the job ran */
  forwards: number;
  rows: { id: string; hash?: string }[];
  store: Store;
}

async function run(name: string, sequence: Record<string, unknown>, recordLabels = true): Promise<Run> {
  const store = openStore(path.join(dir, `${name}.db`));
  after(() => store.close());
  const job = parseJob({
    dataset: 'gen',
    corpus: { path: PROMPTS },
    teachers: ['demo-lm'],
    seed: 5,
    chunkSize: 4,
    sequence: { topK: 8, samples: 16, ...sequence },
  });
  const before = teacher.forwards;
  const result = await runSequenceJob({ job, store, teacher, generator, recordLabels });
  const rows = [...store.datasetSequences.iterate('gen')].map((r) => ({
    id: r.id,
    ...(r.hash ? { hash: r.hash } : {}),
  }));
  return { result, forwards: teacher.forwards - before, rows, store };
}

/** The stored labels of two runs' rows agree: same tokens and positions, values within the store's bounds. */
function sameLabels(a: Run, b: Run): void {
  const fp = teacher.info.fingerprint;
  for (const row of a.rows) {
    if (!row.hash) continue;
    const x = a.store.sequences.get(fp, row.hash, SPEC)!;
    const y = b.store.sequences.get(fp, row.hash, SPEC)!;
    assert.ok(x && y, `${row.id} stored in both`);
    assert.deepEqual([...x.tokenIds], [...y.tokenIds]);
    assert.deepEqual([...x.positions], [...y.positions]);
    // both sides quantized: at most one step apart (head 1/32, tail 1/8) on top of float noise
    x.topk!.logprobs.forEach((v, j) => assert.ok(Math.abs(v - y.topk!.logprobs[j]!) <= 1 / 8 + 1e-4, `${row.id} ${j}`));
    x.target!.logprob.forEach((v, j) => assert.ok(Math.abs(v - y.target!.logprob[j]!) <= 1 / 64, `${row.id} ${j}`));
    x.target!.entropy.forEach((v, j) => assert.ok(Math.abs(v - y.target!.entropy[j]!) <= 1 / 64, `${row.id} ${j}`));
  }
}

// sampled, and narrow enough that demo-lm's byte-level BPE writes canonical tokens (the re-encoding of
// the text gives back the ids written); wider sampling writes some that do not (the fallback test)
const SAMPLED = { n: 2, maxNewTokens: 12, temperature: 0.7, topK: 5 };

test('generated rows are labelled from their recording: zero teacher-forced forwards, the old path`s rows', async () => {
  const rec = await run('recorded', { generate: SAMPLED });
  const old = await run('teacher-forced', { generate: SAMPLED }, false);
  assert.equal(rec.result.status, 'done');
  assert.ok(rec.result.examples > rec.rows.length / 2, `${rec.result.examples} rows labelled`);
  assert.equal(rec.forwards, 0, 'no teacher-forced forward for a generated row');
  assert.equal(rec.result.recorded, rec.result.computed);
  assert.ok(old.forwards > 0);
  assert.equal(old.result.recorded, 0);
  assert.deepEqual(rec.rows, old.rows, 'the same rows under the same content addresses');
  sameLabels(rec, old);
});

test('rows a recording cannot label exactly fall back to teacher-forced labelling, row by row', async () => {
  // wider sampling writes ids that re-encode otherwise, and a stop string cut inside a token does too
  const generate = { n: 2, maxNewTokens: 12, temperature: 0.9, topP: 0.95, stop: ['e', '.'] };
  const rec = await run('stop-recorded', { generate });
  const old = await run('stop-teacher-forced', { generate }, false);
  assert.deepEqual(rec.rows, old.rows);
  const fallback = rec.result.computed - rec.result.recorded!;
  assert.ok(rec.result.recorded! > 0 && fallback > 0, `${rec.result.recorded} recorded, ${fallback} teacher-forced`);
  assert.ok(rec.forwards > 0 && rec.forwards <= old.forwards, `${rec.forwards} vs ${old.forwards} forwards`);
  sameLabels(rec, old);

  // every token scored: prompt positions were never decoded
  const all = await run('scope-all', { generate: SAMPLED, scope: 'all' });
  assert.equal(all.result.recorded, 0);
  assert.ok(all.forwards > 0);
});

test('another generator, or hidden states in the spec: no recording, the rows are labelled teacher-forced', async () => {
  const job = (sequence: Record<string, unknown>) =>
    parseJob({ dataset: 'x', corpus: { path: PROMPTS }, teachers: ['demo-lm'], sequence: { topK: 8, ...sequence } });
  const identity = (sequence: Record<string, unknown>) => sequenceDatasetSpec(job(sequence), teacher);
  assert.ok(recordOptionsOf(identity({ generate: SAMPLED }), teacher, generator), 'the same model records');
  assert.equal(recordOptionsOf(identity({ generate: SAMPLED, hidden: true }), teacher, generator), undefined);
  const other = await CausalGenerator.load({
    name: 'tiny-llama-lm',
    dir: path.join(REPO_ROOT, 'models', 'tiny-llama-lm'),
    graphCacheDir,
  });
  try {
    assert.equal(recordOptionsOf(identity({ generate: SAMPLED }), teacher, other), undefined);
  } finally {
    await other.dispose();
  }
});
