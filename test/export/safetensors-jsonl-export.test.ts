import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportDataset, exportStream } from '../../src/export/index.ts';
import { decodeFloat16, encodeFloat16, softmaxAt } from '../../src/store/index.ts';
import type { OutputSpec } from '../../src/core/types.ts';
import { HEADS, HIDDEN, TEACHER, fixtureExamples, fixtureOutput, labelledStore } from '../helpers/labelled-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('st-export-');
const N = 23;
const spec: OutputSpec = {
  logits: true,
  temperatures: [1],
  hidden: { layers: [1], pooling: 'none' },
  attentions: { layers: [0] },
  encoding: 'fp32',
};
const examples = fixtureExamples(N);

interface PyTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

/** The first python3 on PATH may lack numpy (pyenv); Debian's python3-numpy lives under /usr/bin. */
const PYTHON =
  ['python3', '/usr/bin/python3'].find((py) => {
    try {
      execFileSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }) ?? 'python3';

function readWithNumpy(path: string): { metadata: Record<string, string>; tensors: Record<string, PyTensor> } {
  return JSON.parse(
    execFileSync(PYTHON, [join(import.meta.dirname, '../helpers/read_safetensors.py'), path], {
      maxBuffer: 1 << 28,
    }).toString(),
  );
}

test('safetensors: per-token hidden states and attentions with offsets, read by an independent numpy reader', () => {
  // the fixture caches layer 1 per token and layer 2 pooled; this export asks for layer 1 per token only
  const store = labelledStore(dir, 'st', N, { spec, perToken: true, attentions: true });
  const out = join(dir, 'st-out');
  const { manifest } = exportDataset(store, 'st', {
    format: 'safetensors',
    outDir: out,
    shardRows: 10,
    hiddenDtype: 'float32',
  });
  assert.deepEqual(
    manifest.files.map((f) => f.rows),
    [10, 10, 3],
  );
  assert.deepEqual(manifest.columns, [
    'attn.0',
    'attn_offsets',
    'hidden.1.none',
    'logits',
    'ordinal',
    'token_offsets',
    'tokens',
  ]);
  let base = 0;
  for (const f of manifest.files) {
    const st = readWithNumpy(join(out, f.path));
    assert.equal(st.metadata.teacher_fingerprint, TEACHER.fingerprint);
    assert.deepEqual(JSON.parse(st.metadata.output_spec!).attentions, { layers: [0] });
    const t = st.tensors;
    const outputs = examples
      .slice(base, base + f.rows)
      .map((e) => fixtureOutput(e.text, { perToken: true, attentions: true }));
    const sumTokens = outputs.reduce((a, o) => a + o.tokens, 0);
    assert.deepEqual(t['hidden.1.none']!.shape, [sumTokens, HIDDEN]);
    assert.equal(t['hidden.1.none']!.dtype, 'F32');
    assert.deepEqual(
      t.ordinal!.values,
      outputs.map((_, i) => base + i),
    );
    assert.deepEqual(t.logits!.shape, [f.rows, 2]);
    const offsets = t.token_offsets!.values;
    const attnOffsets = t.attn_offsets!.values;
    assert.equal(offsets.length, f.rows + 1);
    outputs.forEach((o, i) => {
      const rows = t['hidden.1.none']!.values.slice(offsets[i]! * HIDDEN, offsets[i + 1]! * HIDDEN);
      assert.deepEqual(rows, [...o.hidden![1]!.value.data]);
      const attn = t['attn.0']!.values.slice(attnOffsets[i], attnOffsets[i + 1]);
      assert.equal(attn.length, HEADS * o.tokens * o.tokens);
      assert.deepEqual(attn, [...o.attentions![0]!.value.data]);
      assert.deepEqual(t.logits!.values.slice(2 * i, 2 * i + 2), [...o.logits!]);
    });
    base += f.rows;
  }
  // deterministic bytes
  const again = exportDataset(store, 'st', {
    format: 'safetensors',
    outDir: join(dir, 'st-again'),
    shardRows: 10,
    hiddenDtype: 'float32',
  });
  assert.deepEqual(again.manifest.files, manifest.files);
  store.close();
});

test('safetensors: pooled hidden states as float16 [n, hidden]', () => {
  const store = labelledStore(dir, 'st16', 5);
  const out = join(dir, 'st16-out');
  const { manifest } = exportDataset(store, 'st16', { format: 'safetensors', outDir: out });
  const t = readWithNumpy(join(out, manifest.files[0]!.path)).tensors;
  assert.equal(t['hidden.2.cls']!.dtype, 'F16');
  assert.deepEqual(t['hidden.2.cls']!.shape, [5, HIDDEN]);
  const o = fixtureOutput(examples[0]!.text);
  assert.deepEqual(t['hidden.2.cls']!.values.slice(0, HIDDEN), [
    ...decodeFloat16(encodeFloat16(o.hidden![0]!.value.data)),
  ]);
  store.close();
});

test('jsonl: same column names as Parquet, deterministic, and the stream equals the file', async () => {
  const store = labelledStore(dir, 'js', N, { unlabelledEvery: 4 });
  const out = join(dir, 'js-out');
  const { manifest } = exportDataset(store, 'js', { format: 'jsonl', outDir: out });
  const text = readFileSync(join(out, manifest.files[0]!.path), 'utf8');
  const lines = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const labelled = examples.filter((_, i) => i % 4 !== 3);
  assert.equal(lines.length, labelled.length);
  assert.equal(manifest.skippedUnlabelled, N - labelled.length);
  assert.deepEqual(Object.keys(lines[0]!), manifest.columns);
  const o = fixtureOutput(labelled[1]!.text);
  const logits16 = decodeFloat16(encodeFloat16(o.logits!));
  assert.deepEqual(lines[1]!.logits, [...logits16]);
  assert.deepEqual(lines[1]!.probs_t1, [...softmaxAt(logits16, 1)]);
  assert.equal(lines[1]!.label, labelled[1]!.label);
  assert.equal((lines[1]!.hidden_2_cls as number[]).length, HIDDEN);
  const { stream } = await exportStream(store, 'js', { format: 'jsonl' });
  let streamed = '';
  for await (const c of stream) streamed += (c as Buffer).toString();
  assert.equal(streamed, text);
  store.close();
});
