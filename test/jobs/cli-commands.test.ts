/** The job commands through the real CLI: eval on the demo teacher, help examples, one-line failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { runCli } from './helpers/cli.ts';
import { SHARED_DIR, SST2_DEV } from './helpers/pipeline-fixture.ts';
import type { EvalReport } from '../../src/eval/evaluate.ts';
import { Command } from 'commander';
import { registerRun } from '../../src/cli/commands/run.ts';
import { registerAugment } from '../../src/cli/commands/augment.ts';
import { registerLabel } from '../../src/cli/commands/label.ts';
import { registerExport } from '../../src/cli/commands/export.ts';
import { registerEval } from '../../src/cli/commands/eval.ts';
import { registerDatasets } from '../../src/cli/commands/datasets.ts';

const dir = tempDir('distillery-cli-');

test('distillery eval --json on SST-2 dev with the demo teacher', async () => {
  const r = await runCli([
    'eval',
    '--input',
    SST2_DEV,
    '--teacher',
    'demo',
    '--json',
    '--db',
    path.join(dir, 'eval.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as EvalReport;
  assert.equal(report.examples, 872);
  assert.deepEqual(report.teacher.labels, ['NEGATIVE', 'POSITIVE']);
  assert.ok(report.accuracy > 0.75 && report.accuracy < 1, `accuracy ${report.accuracy}`);
  assert.ok(report.macroF1 > 0.7 && report.macroF1 <= report.accuracy + 0.02);
  assert.equal(
    report.reliability.reduce((s, b) => s + b.count, 0),
    872,
  );
  assert.deepEqual(
    report.perClass.map((c) => c.support),
    [428, 444],
  );
  // softer labels as T rises
  const h = report.temperatures.map((t) => t.meanEntropy);
  assert.deepEqual(
    report.temperatures.map((t) => t.temperature),
    [1, 2, 3, 4, 5],
  );
  for (let i = 1; i < h.length; i++) assert.ok(h[i]! > h[i - 1]!);
  assert.ok(h[4]! <= Math.log(2));
});

test('eval fills the cache like any labelling: a following run on the same corpus computes nothing new', async () => {
  const db = path.join(dir, 'eval-then-run.db');
  const ev = await runCli(['eval', '--input', SST2_DEV, '--teacher', 'demo', '--json', '--db', db]);
  assert.equal(ev.code, 0, ev.stderr);
  const job = path.join(dir, 'after-eval.yaml');
  writeFileSync(
    job,
    `dataset: after-eval\ncorpus: { path: ${JSON.stringify(SST2_DEV)} }\nteachers: [demo]\noutputs: { temperatures: [1, 2] }\n`,
  );
  const run = await runCli(['run', job, '--db', db, '--progress', 'none']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /872 examples from 872 records; teacher computed 0, cache served 872/);
  // and the cached logits are the ones eval measured: a second eval is served from the cache, same report
  const again = await runCli(['eval', '--input', SST2_DEV, '--teacher', 'demo', '--json', '--db', db]);
  assert.deepEqual(JSON.parse(again.stdout), JSON.parse(ev.stdout));
});

test('eval refuses gold labels the teacher does not have, in one line', async () => {
  const r = await runCli([
    'eval',
    '--input',
    path.join(SHARED_DIR, 'data/corpora/trec/test.jsonl'),
    '--teacher',
    'demo',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^distillery: line 1: gold label "NUM" is not one of the teacher's labels/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a bad job file fails with exit 1 and one line naming the field', async () => {
  const job = path.join(dir, 'bad.yaml');
  writeFileSync(job, 'dataset: x\ncorpus: { path: c.jsonl }\nteachers: [demo]\noutputs: { temperatures: [1, 0] }\n');
  const r = await runCli(['run', job, '--db', path.join(dir, 'x.db')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^distillery: .*bad\.yaml: outputs\.temperatures\[1\]: expected a number in \[0\.05, 100\]/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('every job command shows an example in --help', () => {
  const program = new Command('distillery');
  for (const register of [registerRun, registerAugment, registerLabel, registerExport, registerEval, registerDatasets])
    register(program);
  for (const names of [
    ['run'],
    ['augment'],
    ['label'],
    ['export'],
    ['eval'],
    ['datasets', 'list'],
    ['datasets', 'show'],
    ['datasets', 'rm'],
    ['datasets', 'merge'],
    ['datasets', 'prune'],
  ]) {
    let cmd: Command = program;
    for (const n of names) cmd = cmd.commands.find((c) => c.name() === n)!;
    let text = '';
    cmd.configureOutput({ writeOut: (s) => (text += s) });
    cmd.outputHelp();
    assert.match(
      text,
      new RegExp(`Example[^\\n]*:\\n(.*\\n)*\\s+distillery ${names.join(' ')}`),
      `${names.join(' ')} --help has no example`,
    );
  }
});

test('datasets prune reports what it removes, and a bad --grace is one line naming the flag', async () => {
  const db = path.join(dir, 'prune.db');
  const ok = await runCli(['datasets', 'prune', '--db', db, '--grace', '0', '--vacuum']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /^removed 0 cached outputs \(0\.0 MB of blobs\) that no dataset uses\nvacuum: [\d.]+ MB -> [\d.]+ MB\n$/,
  );
  const bad = await runCli(['datasets', 'prune', '--db', db, '--grace', 'soon']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^distillery: --grace 'soon' is not a duration \(use seconds or a number with s, m, h or d/);
});

test('hidden states asked of a logits-only teacher: one line that names `models expose-hidden`', async () => {
  const config = path.join(dir, 'logits-only.yaml');
  writeFileSync(
    config,
    `teachers:\n  - name: lo\n    path: ${path.resolve('models/tiny-bert-classifier-logits-only')}\n`,
  );
  const r = await runCli([
    'label',
    '--config',
    config,
    '--db',
    path.join(dir, 'lo.db'),
    '--input',
    SST2_DEV,
    '--teacher',
    'lo',
    '--hidden',
    'last:cls',
  ]);
  assert.equal(r.code, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('distillery: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, /^distillery: teacher "lo" exposes no hidden outputs .*`distillery models expose-hidden /);
});

test('an augmented run on short texts prints progress only: no MaxListenersExceededWarning', async () => {
  // 800 short SST-2 train phrases: a labelling call holds dozens of teacher batches, all under one abort signal
  const corpus = path.join(dir, 'short.jsonl');
  const train = readFileSync(path.join(SHARED_DIR, 'data/corpora/sst2/train.jsonl'), 'utf8').split('\n');
  writeFileSync(corpus, train.slice(0, 800).join('\n') + '\n');
  const job = path.join(dir, 'short.yaml');
  writeFileSync(
    job,
    `dataset: short\ncorpus: { path: ${JSON.stringify(corpus)} }\nrecipe: { builtin: eda, variants: 2 }\nteachers: [demo]\noutputs: { temperatures: [1] }\n`,
  );
  const r = await runCli(['run', job, '--db', path.join(dir, 'short.db'), '--progress', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /MaxListenersExceeded|Warning/);
  for (const line of r.stderr.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
});

test('a top-k wider than the teacher has classes is refused before anything is labelled, naming the field', async () => {
  // it used to label every row and then export none: the gate stores a wider top-k as the top-all
  const job = path.join(dir, 'topk.yaml');
  writeFileSync(
    job,
    `dataset: topk\ncorpus: { path: ${SST2_DEV} }\nteachers: [demo]\noutputs: { logits: true, topK: 5 }\n` +
      `export: [{ format: jsonl, out: ${path.join(dir, 'topk-out')} }]\n`,
  );
  const db = path.join(dir, 'topk.db');
  const r = await runCli(['run', job, '--db', db, '--progress', 'none']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^distillery: outputs\.topK: 5 is more than teacher demo's 2 classes \(ask for topK: 2 or less/m,
  );
  const listed = await runCli(['datasets', 'list', '--db', db]);
  assert.equal(listed.stdout.trim(), 'no datasets');

  writeFileSync(job, readFileSync(job, 'utf8').replace('topK: 5', 'topK: 2'));
  const ok = await runCli(['run', job, '--db', db, '--progress', 'none']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /exported 872 rows of topk as jsonl/);
});
