/**
 * Causal-LM jobs in process, with real components: the teacher registry loading models/demo-lm (and
 * copies of it with a missing or broken chat template), a real SQLite store, the job runner, the
 * exporters and `eval`. Checks per-row statuses for bad input, that nothing stored is lost when a job
 * is refused, content addressing across datasets, the exports against each other, and perplexity
 * against a fresh teacher run.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { REPO_ROOT } from '../../src/config.ts';
import type { SequenceTargets } from '../../src/core/sequence-types.ts';
import { evaluateCausalTeacher } from '../../src/eval/sequence-eval.ts';
import {
  exportSequenceDataset,
  parseJob,
  resolveJob,
  startJob,
  type JobInput,
  type JobResult,
} from '../../src/jobs/index.ts';
import { openStore } from '../../src/store/index.ts';
import { TeacherRegistry } from '../../src/teacher/registry.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('causal-jobs-');
const DEMO_LM = path.join(REPO_ROOT, 'models', 'demo-lm');

/** A copy of demo-lm whose tokenizer_config.json is edited. */
function lmCopy(name: string, edit: (c: Record<string, unknown>) => void): string {
  const to = path.join(dir, name);
  cpSync(DEMO_LM, to, { recursive: true });
  const file = path.join(to, 'tokenizer_config.json');
  const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(file, JSON.stringify(c));
  return to;
}

const registry = new TeacherRegistry(
  [
    { name: 'lm', path: DEMO_LM },
    { name: 'lm-no-template', path: lmCopy('no-template', (c) => delete c.chat_template) },
    {
      name: 'lm-bad-template',
      path: lmCopy('bad-template', (c) => (c.chat_template = '{{ messages | no_such_filter }}')),
    },
    { name: 'classifier', path: path.join(REPO_ROOT, 'models', 'tiny-bert-classifier') },
  ],
  { modelsDir: path.join(REPO_ROOT, 'models'), allowRemote: false },
);
const store = openStore(path.join(dir, 'store.db'));
after(async () => {
  await registry.close();
  store.close();
});

const LONG = Array.from({ length: 400 }, (_, i) => `word${i % 37}`).join(' ');
const ROWS = [
  { id: 'p1', prompt: 'How was the film?', response: ' The story was warm and the actors were great.' },
  {
    id: 'm1',
    messages: [
      { role: 'user', content: 'Rate the cafe.' },
      { role: 'assistant', content: 'Fresh cakes, kind staff.' },
    ],
  },
  { id: 't1', text: 'The hotel room was clean and quiet.' },
  { id: 'empty-prompt', prompt: '', response: ' anything' },
  { id: 'empty-response', prompt: 'Say something.', response: '  ' },
  {
    id: 'bad-role',
    messages: [
      { role: 'narrator', content: 'x' },
      { role: 'assistant', content: 'y' },
    ],
  },
  { id: 'no-shape', question: 'what?' },
  { id: 'too-long', text: LONG },
  { id: 'p1-again', prompt: 'How was the film?', response: ' The story was warm and the actors were great.' },
];
const corpus = path.join(dir, 'rows.jsonl');
writeFileSync(corpus, ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');

async function run(input: Partial<JobInput> & { dataset: string }): Promise<JobResult> {
  const job = parseJob({ corpus: { path: corpus }, teachers: ['lm'], chunkSize: 3, ...input });
  const handle = startJob(await resolveJob(job, { store, teachers: registry }));
  return handle.done;
}

const statuses = (dataset: string) =>
  Object.fromEntries([...store.datasetSequences.iterate(dataset)].map((r) => [r.id, r.hash ? 'ok' : r.field]));

test('a causal-LM job labels every shape, gives each bad row its field, and reruns compute nothing', async () => {
  const first = await run({ dataset: 'rows', sequence: { topK: 8, samples: 6, target: true } });
  assert.equal(first.status, 'done');
  assert.deepEqual(statuses('rows'), {
    p1: 'ok',
    m1: 'ok',
    t1: 'ok',
    'empty-prompt': 'prompt',
    'empty-response': 'response',
    'bad-role': 'messages[0].role',
    'no-shape': 'input',
    'too-long': 'text',
    'p1-again': 'ok',
  });
  assert.equal(first.refused, 5);
  assert.equal(first.computed, 3, 'p1-again is the sequence of p1: computed once');
  assert.match(store.datasetSequences.refused('rows').find((r) => r.id === 'too-long')!.message!, /512/);

  const again = await run({ dataset: 'rows', sequence: { topK: 8, samples: 6, target: true } });
  assert.equal(again.status, 'up-to-date');
  assert.equal(again.computed, 0);

  // another dataset over the same rows: all cached (content-addressed by token ids + scored positions)
  const other = await run({ dataset: 'rows-copy', sequence: { topK: 8, samples: 6, target: true }, chunkSize: 100 });
  assert.equal(other.computed, 0);
  assert.equal(other.cached, 4);

  // overflow: left keeps the row, cut to the context, flagged
  const cut = await run({ dataset: 'rows-cut', sequence: { topK: 8, overflow: 'left' } });
  assert.equal(statuses('rows-cut')['too-long'], 'ok');
  assert.equal(cut.refused, 4);
});

test('the three exports of a causal-LM dataset agree, in corpus order, refused rows left out', async () => {
  const out = path.join(dir, 'out');
  const pq = exportSequenceDataset(store, 'rows', { format: 'parquet', outDir: out });
  const js = exportSequenceDataset(store, 'rows', { format: 'jsonl', outDir: out });
  const st = exportSequenceDataset(store, 'rows', { format: 'safetensors', outDir: out });
  for (const r of [pq, js, st]) {
    assert.equal(r.manifest.rows, 4);
    assert.equal(r.manifest.refused, 5);
    assert.equal(r.manifest.skippedUnlabelled, 0);
  }
  const file = await asyncBufferFromFile(path.join(out, pq.manifest.files[0]!.path));
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  assert.deepEqual(
    rows.map((r) => r.id),
    ['p1', 'm1', 't1', 'p1-again'],
  );
  const lines = readFileSync(path.join(out, js.manifest.files[0]!.path), 'utf8').trim().split('\n');
  const json = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  rows.forEach((row, i) => {
    const j = json[i]!;
    assert.equal(j.id, row.id);
    assert.deepEqual(j.input_ids, row.input_ids);
    assert.deepEqual(j.labels, row.labels);
    const positions = j.positions as number[];
    assert.ok(positions.length > 0);
    positions.forEach((pos, p) => {
      assert.deepEqual((j.topk_ids as number[][])[p], (row.token_ids as number[][])[pos]);
      assert.equal(
        (j.sample_counts as number[][])[p]!.reduce((a, b) => a + b, 0),
        6,
        'six draws per position',
      );
    });
  });
  // a {prompt, response} row scores its response only: the prompt positions are -100
  const p1 = json[0]!;
  assert.ok((p1.labels as number[]).slice(0, 4).every((l) => l === -100));
  // rerunning the export gives the same bytes
  const again = exportSequenceDataset(store, 'rows', { format: 'parquet', outDir: out });
  assert.equal(again.manifest.files[0]!.sha256, pq.manifest.files[0]!.sha256);
});

test('messages need a chat template that renders: those rows are refused, the others labelled', async () => {
  const none = await run({ dataset: 'no-template', teachers: ['lm-no-template'] });
  assert.equal(statuses('no-template').m1, 'messages');
  assert.equal(statuses('no-template').p1, 'ok');
  assert.match(store.datasetSequences.refused('no-template').find((r) => r.id === 'm1')!.message!, /chat_template/);
  assert.equal(none.status, 'done');
  await run({ dataset: 'bad-template', teachers: ['lm-bad-template'] });
  assert.equal(statuses('bad-template').m1, 'messages');
  assert.equal(statuses('bad-template').t1, 'ok');
});

test('a job the teacher cannot honour is refused naming the field, and nothing stored is lost', async () => {
  const before = store.datasetSequences.counts('rows');
  const refused = async (input: Partial<JobInput>, field: RegExp) =>
    assert.rejects(
      run({ dataset: 'rows', ...input }),
      (e: Error & { details?: { issues?: { path: string }[] } }) =>
        field.test(e.message) && (e.details?.issues ?? []).some((i) => field.test(i.path)),
    );
  await refused({ sequence: { topK: 422 } }, /sequence\.topK/);
  await refused({ recipe: 'eda' }, /recipe/);
  await refused({ teachers: ['classifier'], sequence: { topK: 4 } }, /sequence/);
  await refused(
    { sequence: { topK: 8, temperature: 2 }, export: [{ format: 'parquet', out: dir }] },
    /export\[0\]\.format/,
  );
  assert.throws(
    () => parseJob({ dataset: 'x', corpus: { path: corpus }, teachers: ['lm'], sequence: { maskRoles: ['robot'] } }),
    /sequence\.maskRoles\[0\]/,
  );
  assert.throws(
    () => parseJob({ dataset: 'x', corpus: { path: corpus }, teachers: ['lm'], sequence: { target: false } }),
    /at least one output/,
  );
  assert.deepEqual(store.datasetSequences.counts('rows'), before);
  assert.equal((store.getDataset('rows')!.manifest as { status: string }).status, 'done');
});

test('eval: perplexity and next-token accuracy of the scored tokens, as a fresh teacher run computes them', async () => {
  const report = await evaluateCausalTeacher(await registry.getCausal('lm'), store, { path: corpus });
  assert.equal(report.rows, 9);
  assert.equal(report.refused, 5);
  const lm = await registry.getCausal('lm');
  const good = ROWS.filter((r) => ['p1', 'm1', 't1', 'p1-again'].includes(r.id));
  const fresh = (await lm.score(
    good.map((r) => ({ input: r as never, seed: r.id })),
    { temperature: 1, target: true },
  )) as SequenceTargets[];
  let nll = 0;
  let top1 = 0;
  let n = 0;
  for (const t of fresh)
    t.target!.logprob.forEach((lp, p) => {
      nll -= lp;
      if (t.target!.rank[p] === 0) top1++;
      n++;
    });
  assert.equal(report.tokens, n);
  assert.ok(Math.abs(report.meanNll - nll / n) < 1e-3, `${report.meanNll} vs ${nll / n}`);
  assert.ok(Math.abs(report.perplexity - Math.exp(nll / n)) / report.perplexity < 1e-3);
  assert.equal(report.accuracy, top1 / n);
  // counted from reviews, the demo LM is far better than a uniform guess over its 421 ids on review-like text
  assert.ok(report.perplexity < 421 / 4, `perplexity ${report.perplexity}`);
});

test('a malformed corpus line or a repeated id stops the job before anything is stored, unless skipped', async () => {
  const broken = path.join(dir, 'broken.jsonl');
  writeFileSync(broken, '{"id": "a", "text": "fine"}\n{"id": "b", "text": \n{"id": "a", "text": "again"}\n');
  const job = (dataset: string, skipInvalid: boolean) =>
    parseJob({ dataset, corpus: { path: broken, skipInvalid }, teachers: ['lm'], sequence: { topK: 4 } });
  await assert.rejects(
    startJob(await resolveJob(job('broken', false), { store, teachers: registry })).done,
    /broken\.jsonl:2: not valid JSON/,
  );
  assert.equal(store.getDataset('broken'), undefined, 'nothing stored');
  const skipped = await startJob(await resolveJob(job('broken-skip', true), { store, teachers: registry })).done;
  assert.equal(skipped.invalid, 2, 'the bad line and the repeated id');
  assert.deepEqual(statuses('broken-skip'), { a: 'ok' });
});
