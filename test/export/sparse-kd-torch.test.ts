/**
 * docs/TRAINING-LLM.md's sparse losses run in PyTorch on a real export from the bundled models/demo-lm
 * (examples/sparse-kd/): the Node half labels and exports, the Python half checks the losses against
 * the teacher's full distribution and trains a student with each. Needs a python3 that imports torch
 * (Debian: apt-get install python3-torch); without one the run is skipped, saying so. The doc's code
 * and the example's must stay the same text, checked with or without torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'examples/sparse-kd/sparse_kd_torch.py');

const TORCH_PYTHON = ['python3', '/usr/bin/python3'].find((py) => {
  try {
    execFileSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
});

test("the doc's PyTorch losses are the example's, word for word", () => {
  const doc = readFileSync(join(ROOT, 'docs/TRAINING-LLM.md'), 'utf8');
  const script = readFileSync(SCRIPT, 'utf8');
  const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const functions = blocks.flatMap((b) => [...b.matchAll(/^def [\s\S]*?(?=\n\S|$)/gm)].map((m) => m[0].trimEnd()));
  assert.deepEqual(
    functions.map((f) => f.split('(')[0]),
    ['def topk_tail_kl', 'def sampled_kd'],
  );
  for (const f of functions) assert.ok(script.includes(f), `${f.split('\n')[0]} differs from the example's`);
});

test(
  'sparse KD in PyTorch on a demo-lm export: losses match the full distribution, both train a student',
  {
    skip: TORCH_PYTHON
      ? false
      : 'no python3 that imports torch here: apt-get install -y python3-torch to run examples/sparse-kd',
  },
  () => {
    const out = tempDir('sparse-kd-');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/sparse-kd/export-demo.ts'), out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout: string;
    try {
      stdout = execFileSync(TORCH_PYTHON!, [SCRIPT, out]).toString();
    } catch (e) {
      // a failed check exits 1 with the report on stdout: show it
      stdout = (e as { stdout?: Buffer }).stdout?.toString() ?? '';
    }
    const report = JSON.parse(stdout) as {
      scored: number;
      checks: Record<string, boolean>;
      topk_tail_kl: { from_export: number; exact_bucketed: number };
    };
    assert.ok(report.scored > 1000, `${report.scored} scored positions`);
    assert.equal(Object.keys(report.checks).length, 7);
    for (const [check, ok] of Object.entries(report.checks)) assert.ok(ok, `${check}: ${stdout}`);
  },
);
