/**
 * Pruning streamed from file to file writes exactly the bytes of a model built without the dropped
 * parts, and exactly what pruning in memory writes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DataType, encodeModel, floatTensor, GraphBuilder } from '../../src/teacher/onnx/graph-builder.ts';
import { pruneGraphOutputs, writePrunedModel } from '../../src/teacher/onnx/prune-outputs.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
// 1.2 MB per tensor: weights cross the 1 MB copy blocks, and the Constant node is larger than the
// 64 KB window the planner reads small fields through.
const N = 300_000;
const values = (seed: number) => Array.from({ length: N }, (_, i) => Math.sin(i * 0.37 + seed) * 3);

/** x - c (c a Constant node), x + w1, and, unless `lean`, x * w2 as a third output. */
function model(lean: boolean): Uint8Array {
  const g = new GraphBuilder('streamed');
  const x = g.input('x', DataType.FLOAT, [N]);
  g.op('Constant', [], { value: { kind: 'tensor', value: floatTensor(values(1), [N]) } }, 'c');
  g.op('Sub', [x, 'c'], {}, 'd');
  g.op('Add', [x, g.init('w1', floatTensor(values(2), [N]))], {}, 'a');
  if (!lean) g.op('Mul', [x, g.init('w2', floatTensor(values(3), [N]))], {}, 'b');
  g.output('a', DataType.FLOAT, [N]);
  g.output('d', DataType.FLOAT, [N]);
  if (!lean) g.output('b', DataType.FLOAT, [N]);
  return encodeModel(g, { opset: 17 });
}

test('a model pruned from file to file is byte for byte the model built without the dropped output', async () => {
  const dir = tempDir();
  const whole = path.join(dir, 'whole.onnx');
  writeFileSync(whole, model(false));
  const out = path.join(dir, 'pruned.onnx');
  const plan = await writePrunedModel(whole, ['a', 'd'], out);
  assert.ok(!('skipped' in plan));
  assert.deepEqual(plan.removedOutputs, ['b']);
  assert.equal(plan.removedNodes, 1);
  const expected = model(true);
  assert.ok(Buffer.from(expected).equals(readFileSync(out)), 'file to file');
  const inMemory = pruneGraphOutputs(readFileSync(whole), ['a', 'd']);
  assert.ok(!('skipped' in inMemory) && Buffer.from(expected).equals(inMemory.bytes), 'in memory');

  const feeds = { x: new ort.Tensor('float32', Float32Array.from(values(4)), [N]) };
  const wholeSession = await ort.InferenceSession.create(whole);
  const prunedSession = await ort.InferenceSession.create(out);
  const a = await wholeSession.run(feeds, ['a', 'd']);
  const b = await prunedSession.run(feeds);
  assert.deepEqual(prunedSession.outputNames, ['a', 'd']);
  for (const name of ['a', 'd'])
    assert.ok(Buffer.from(a[name]!.data as Float32Array).equals(Buffer.from(b[name]!.data as Float32Array)), name);
  await Promise.all([wholeSession.release(), prunedSession.release()]);
});

test('file to file and in memory write the same bytes on the fixtures; a skipped pruning writes no file', async () => {
  const dir = tempDir();
  const file = path.join(MODELS, 'tiny-bert-mlm/onnx/model.onnx');
  for (const keep of [['logits'], ['hidden_states.2'], ['logits', 'hidden_states.0', 'attentions.1']]) {
    const out = path.join(dir, `${keep.join('+')}.onnx`);
    const plan = await writePrunedModel(file, keep, out);
    const inMemory = pruneGraphOutputs(readFileSync(file), keep);
    assert.ok(!('skipped' in plan) && !('skipped' in inMemory));
    assert.ok(inMemory.bytes.length < readFileSync(file).length);
    assert.ok(Buffer.from(inMemory.bytes).equals(readFileSync(out)), keep.join(', '));
    assert.equal(plan.removedNodes, inMemory.removedNodes);
  }
  const marian = path.join(MODELS, 'tiny-marian-en-xx/onnx/decoder_model_merged.onnx');
  const out = path.join(dir, 'marian.onnx');
  assert.deepEqual(await writePrunedModel(marian, ['logits'], out), {
    skipped: 'the graph has control flow with subgraphs',
  });
  assert.ok(!existsSync(out));
});
