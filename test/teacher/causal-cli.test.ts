/** `distillery models inspect` and `models expose-topk` on a causal LM, through the real CLI. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { ModelInspection } from '../../src/teacher/model-tools.ts';
import { TARGET_OUTPUTS } from '../../src/teacher/causal/expose-targets.ts';
import { runCli } from '../jobs/helpers/cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');

test('models inspect shows vocabulary, context, chat template and the per-position outputs', async () => {
  const r = await runCli(['models', 'inspect', path.join(MODELS, 'tiny-llama-lm'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as ModelInspection;
  assert.equal(info.task, 'text-generation');
  assert.equal(info.causal?.vocabSize, 495);
  assert.equal(info.causal?.contextLength, 256);
  assert.equal(info.causal?.chatTemplate, true);
  assert.equal(info.causal?.pastInputs, 4);
  assert.equal(info.causal?.numLogitsToKeep, true);
  assert.equal(info.causal?.targetsInGraph, false);
  assert.equal(info.causal?.outputs.length, 4);
  const text = await runCli(['models', 'inspect', path.join(MODELS, 'tiny-gpt2-lm')]);
  assert.match(text.stdout, /task +text-generation \(GPT2LMHeadModel\)/);
  assert.match(text.stdout, /chat template yes/);
});

test('models expose-topk writes a copy whose graph outputs the top-k; k beyond the vocabulary is refused', async () => {
  const out = path.join(tempDir('expose-topk-'), 'copy');
  const r = await runCli(['models', 'expose-topk', path.join(MODELS, 'tiny-gpt2-lm'), out, '--k', '16']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /added targets\.\* outputs/);
  const session = await ort.InferenceSession.create(path.join(out, 'onnx', 'model.onnx'));
  assert.ok(session.outputNames.includes(TARGET_OUTPUTS.topkLogprobs));
  await session.release();
  const bad = await runCli(['models', 'expose-topk', path.join(MODELS, 'tiny-gpt2-lm'), `${out}-2`, '--k', '100000']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--k must be an integer from 1 to the vocabulary size 493/);
});

test('models list shows a configured causal LM as a text-generation teacher beside a classifier', async () => {
  const config = path.join(tempDir('models-list-'), 'config.yaml');
  writeFileSync(
    config,
    `teachers:\n  - name: lm\n    path: ${path.join(MODELS, 'tiny-llama-lm')}\n  - name: demo\n    path: ${path.join(MODELS, 'demo-sentiment')}\ndefaultTeacher: demo\n`,
  );
  const r = await runCli(['models', 'list', '--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { name: string; task: string; vocabSize?: number }[];
  assert.deepEqual(
    rows.map((x) => [x.name, x.task]),
    [
      ['lm', 'text-generation'],
      ['demo', 'text-classification'],
    ],
  );
  assert.equal(rows[0]!.vocabSize, 495);
});
