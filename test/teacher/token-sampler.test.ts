/**
 * The sampling step on hand-made logits: greedy is the argmax (lower id on ties); sampling follows the
 * softmax at the temperature; top-k and top-p keep only their candidates; the repetition penalty moves
 * seen tokens; one row's stream gives the same draws every time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { rankedIds, sampleToken } from '../../src/teacher/causal/token-sampler.ts';

const LOGITS = Float32Array.from([1.0, 3.0, 2.0, 3.0, -1.0, 0.5]);
const PLAIN = { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };

function frequencies(params: typeof PLAIN, draws: number, history: number[] = []): number[] {
  const rng = new SeededRng('freq');
  const counts = new Array<number>(LOGITS.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampleToken(LOGITS, history, params, rng).id]!++;
  return counts.map((c) => c / draws);
}

function softmax(x: readonly number[], t: number): number[] {
  const m = Math.max(...x.map((v) => v / t));
  const e = x.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('greedy takes the argmax, the lower id on a tie, and draws nothing', () => {
  const rng = new SeededRng('g');
  const before = rng.fork('probe').next();
  const t = sampleToken(LOGITS, [], { ...PLAIN, temperature: 0 }, rng);
  assert.equal(t.id, 1);
  assert.ok(Math.abs(t.logprob! - (3 - Math.log(Array.from(LOGITS).reduce((s, x) => s + Math.exp(x), 0)))) < 1e-6);
  assert.equal(rng.next(), new SeededRng('g').next(), 'the stream did not advance');
  assert.equal(rng.fork('probe').next(), before);
});

test('sampling follows the softmax at the temperature', () => {
  for (const temperature of [1, 0.5, 2]) {
    const got = frequencies({ ...PLAIN, temperature }, 20000);
    const want = softmax(Array.from(LOGITS), temperature);
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 0.015, `T=${temperature} id ${i}: ${g} vs ${want[i]}`));
  }
});

test('top-k and top-p keep only their candidates, renormalised', () => {
  const k2 = frequencies({ ...PLAIN, topK: 2 }, 4000);
  assert.deepEqual(
    k2.map((f) => f > 0),
    [false, true, false, true, false, false],
  );
  assert.ok(Math.abs(k2[1]! - 0.5) < 0.04);
  // the nucleus: the most likely ids until their mass reaches p
  const probs = softmax(Array.from(LOGITS), 1);
  const order = rankedIds(LOGITS, LOGITS.length);
  let mass = 0;
  const nucleus = new Set<number>();
  for (const id of order) {
    nucleus.add(id);
    mass += probs[id]!;
    if (mass >= 0.9) break;
  }
  const p = frequencies({ ...PLAIN, topP: 0.9 }, 4000);
  p.forEach((f, id) => assert.equal(f > 0, nucleus.has(id), `id ${id}`));
  assert.ok(nucleus.size < LOGITS.length);
});

test('the repetition penalty divides a seen positive logit and multiplies a seen negative one', () => {
  const greedy = { ...PLAIN, temperature: 0, repetitionPenalty: 2 };
  // 1 and 3 tie at 3.0; seen, they fall to 1.5, below 2.0
  assert.equal(sampleToken(LOGITS, [1, 3], greedy, new SeededRng(0)).id, 2);
  const seenNegative = frequencies({ ...PLAIN, repetitionPenalty: 2 }, 20000, [4]);
  const want = softmax([1, 3, 2, 3, -2, 0.5], 1);
  assert.ok(Math.abs(seenNegative[4]! - want[4]!) < 0.003);
});

test('rankedIds orders by score, ties by id', () => {
  assert.deepEqual(rankedIds(LOGITS, 3), [1, 3, 2]);
  assert.deepEqual(rankedIds(LOGITS, 6), [1, 3, 2, 0, 5, 4]);
});

test('a row stream draws the same tokens on every run', () => {
  const run = () => {
    const rng = new SeededRng('row').fork('ex1#0');
    return Array.from({ length: 50 }, () => sampleToken(LOGITS, [], { ...PLAIN, topP: 0.95 }, rng).id);
  };
  assert.deepEqual(run(), run());
  assert.ok(new Set(run()).size > 1);
});
