/**
 * The rewritten LM head computes, for the rows it is given (in chunks), what JavaScript computes from
 * the full logits of the unmodified graph: log-sum-exp, top-k log-probs and ids, entropy, next-token
 * log-prob and rank.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { exposeTargets, TARGET_INPUTS, TARGET_OUTPUTS } from '../../src/teacher/causal/expose-targets.ts';
import { DataType, GraphBuilder, encodeModel, floatTensor } from '../../src/teacher/onnx/graph-builder.ts';
import { rankOf, referenceLogits, referenceRow } from '../helpers/causal-reference.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const int64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), dims);

/** Runs the rewritten graph on one sequence, asking for every position in chunks of `chunk` rows. */
async function targetsOf(
  bytes: Uint8Array,
  plain: ort.InferenceSession,
  ids: number[],
  T: number,
  k: number,
  chunk: number,
) {
  const session = await ort.InferenceSession.create(bytes);
  const S = ids.length;
  const chunks = Math.ceil(S / chunk);
  const rows = Array.from({ length: chunks * chunk }, (_, r) => (r < S ? r : 0));
  const next = rows.map((r, i) => (i < S ? (ids[r + 1] ?? 0) : 0));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(ids, [1, S]),
    attention_mask: int64(new Array<number>(S).fill(1), [1, S]),
    [TARGET_INPUTS.temperature]: new ort.Tensor('float32', Float32Array.of(T), [1]),
    [TARGET_INPUTS.k]: int64([k], [1]),
    [TARGET_INPUTS.rows]: int64(rows, [chunks, chunk]),
    [TARGET_INPUTS.next]: int64(next, [chunks, chunk]),
  };
  if (session.inputNames.includes('position_ids'))
    feeds.position_ids = int64(
      ids.map((_, i) => i),
      [1, S],
    );
  if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = int64([0], []);
  for (const m of plain.inputMetadata) {
    if (m.name.startsWith('past_key_values.') && m.isTensor)
      feeds[m.name] = new ort.Tensor('float32', new Float32Array(0), [1, Number(m.shape[1]), 0, Number(m.shape[3])]);
  }
  assert.ok(!session.outputNames.includes('logits'), 'the full logits are no longer an output');
  const out = await session.run(feeds);
  await session.release();
  return out;
}

async function checkAgainstReference(
  original: Uint8Array,
  ids: number[],
  T: number,
  k: number,
  chunk = 3,
): Promise<void> {
  const plain = await ort.InferenceSession.create(original);
  const reference = await referenceLogits(plain, ids);
  const out = await targetsOf(exposeTargets(original).bytes, plain, ids, T, k, chunk);
  await plain.release();
  const f = (name: string) => out[name]!.data as Float32Array;
  assert.deepEqual(out[TARGET_OUTPUTS.topkLogprobs]!.dims, [Math.ceil(ids.length / chunk), chunk, k]);
  for (let t = 0; t < ids.length; t++) {
    const ref = referenceRow(reference[t]!, T);
    assert.ok(Math.abs(f(TARGET_OUTPUTS.lse)[t]! - ref.lse) < 1e-4, `lse at ${t}`);
    assert.ok(Math.abs(f(TARGET_OUTPUTS.entropy)[t]! - ref.entropy) < 1e-4, `entropy at ${t}`);
    for (let j = 0; j < k; j++) {
      const lp = f(TARGET_OUTPUTS.topkLogprobs)[t * k + j]!;
      assert.ok(Math.abs(lp - ref.logp[ref.order[j]!]!) < 1e-4, `top-${j} log-prob at ${t}`);
      const id = Number((out[TARGET_OUTPUTS.topkIds]!.data as BigInt64Array)[t * k + j]);
      assert.ok(Math.abs(ref.logp[id]! - lp) < 1e-4, `top-${j} id at ${t} has the log-prob reported`);
    }
    if (t + 1 < ids.length) {
      const next = ids[t + 1]!;
      assert.ok(Math.abs(f(TARGET_OUTPUTS.nextLogprob)[t]! - ref.logp[next]!) < 1e-4, `next log-prob at ${t}`);
      assert.ok(Math.abs(f(TARGET_OUTPUTS.nextRank)[t]! - rankOf(ref, next)) <= 1, `next rank at ${t}`);
    }
  }
}

for (const name of ['tiny-llama-lm', 'tiny-gpt2-lm']) {
  test(`${name}: in-graph targets equal JavaScript on the full logits, at T=1 and T=0.7`, async () => {
    const original = readFileSync(path.join(MODELS, name, 'onnx', 'model.onnx'));
    const ids = [12, 400, 7, 250, 33, 101, 64, 300];
    await checkAgainstReference(original, ids, 1, 8);
    await checkAgainstReference(original, ids, 0.7, 5, 8);
    const result = exposeTargets(original);
    assert.equal(result.hidden, true);
    assert.equal(exposeTargets(result.bytes).alreadyPresent, true);
  });
}

/** logits = onehot-free bigram: embedding rows @ W, a model small enough to build at any opset. */
function bigramGraph(opset: number, vocab: number): Uint8Array {
  const g = new GraphBuilder('bigram');
  g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  g.input('attention_mask', DataType.INT64, ['batch_size', 'sequence_length']);
  const rng = new SeededRng('bigram');
  const embed = Float32Array.from({ length: vocab * 8 }, () => rng.next() * 2 - 1);
  const head = Float32Array.from({ length: 8 * vocab }, () => rng.next() * 4 - 2);
  g.init('embed', floatTensor(embed, [vocab, 8]));
  g.init('head', floatTensor(head, [8, vocab]));
  g.op('MatMul', [g.op('Gather', ['embed', 'input_ids'], { axis: 0 }), 'head'], {}, 'logits');
  g.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab]);
  return encodeModel(g, { opset });
}

test('the reductions are written for the graph opset (attribute axes before 18, input axes from 18)', async () => {
  for (const opset of [13, 17, 18, 19])
    await checkAgainstReference(bigramGraph(opset, 40), [1, 5, 9, 39, 0, 2], 1.3, 6);
});

test('a graph without logits, or older than opset 13, is refused with the reason', () => {
  const encoder = readFileSync(path.join(MODELS, 'tiny-marian-en-xx', 'onnx', 'encoder_model.onnx'));
  assert.throws(() => exposeTargets(encoder), /no `logits` output/);
  assert.throws(() => exposeTargets(bigramGraph(12, 10)), /opset 12/);
  const bert = readFileSync(path.join(MODELS, 'tiny-bert-mlm', 'onnx', 'model.onnx'));
  assert.throws(() => exposeTargets(bert), /do not come straight from a MatMul head/);
});

test('expose-topk --k/--temperature bake constants; without them k and T are inputs', async () => {
  const original = bigramGraph(17, 30);
  const session = await ort.InferenceSession.create(exposeTargets(original, { k: 3, temperature: 2 }).bytes);
  assert.deepEqual(session.inputNames.filter((n) => n.startsWith('targets.')).sort(), [
    TARGET_INPUTS.next,
    TARGET_INPUTS.rows,
  ]);
  const ids = int64([4, 7, 1], [1, 3]);
  const out = await session.run({
    input_ids: ids,
    attention_mask: int64([1, 1, 1], [1, 3]),
    [TARGET_INPUTS.rows]: int64([0, 1, 2], [1, 3]),
    [TARGET_INPUTS.next]: int64([7, 1, 0], [1, 3]),
  });
  assert.deepEqual(out[TARGET_OUTPUTS.topkLogprobs]!.dims, [1, 3, 3]);
  const plain = await ort.InferenceSession.create(original);
  const logits = await referenceLogits(plain, [4, 7, 1]);
  const atT2 = referenceRow(logits[0]!, 2);
  const got = (out[TARGET_OUTPUTS.topkLogprobs]!.data as Float32Array)[0]!;
  assert.ok(Math.abs(got - atT2.logp[atT2.order[0]!]!) < 1e-4, 'the baked temperature is applied');
  const open = await ort.InferenceSession.create(exposeTargets(original).bytes);
  assert.deepEqual(open.inputNames.filter((n) => n.startsWith('targets.')).sort(), [
    TARGET_INPUTS.k,
    TARGET_INPUTS.next,
    TARGET_INPUTS.rows,
    TARGET_INPUTS.temperature,
  ]);
  await Promise.all([session.release(), plain.release(), open.release()]);
});
