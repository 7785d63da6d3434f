import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, calibration, entropy, macroF1, softmax, temperatureSweep } from '../../src/core/metrics.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('accuracy and macro-F1 on a hand-computed case', () => {
  const pred = [0, 1, 1, 0];
  const gold = [0, 1, 0, 0];
  assert.equal(accuracy(pred, gold), 0.75);
  const { macroF1: f, perClass } = macroF1(pred, gold, 2);
  // class 0: P = 2/2, R = 2/3, F1 = 0.8; class 1: P = 1/2, R = 1/1, F1 = 2/3
  close(perClass[0]!.f1, 0.8);
  close(perClass[1]!.f1, 2 / 3);
  assert.deepEqual(
    perClass.map((c) => c.support),
    [3, 1],
  );
  close(f, (0.8 + 2 / 3) / 2);
});

test('macro-F1 leaves out a class that never occurs, counts one that is only predicted', () => {
  // 3 classes; class 2 absent everywhere; class 1 only predicted (F1 0)
  const { macroF1: f, perClass } = macroF1([0, 1], [0, 0], 3);
  assert.deepEqual(
    perClass.map((c) => c.label),
    [0, 1],
  );
  // class 0: P = 1, R = 1/2, F1 = 2/3; class 1: F1 = 0
  close(f, 1 / 3);
});

test('expected calibration error and reliability table', () => {
  const probs = [
    [0.9, 0.1],
    [0.8, 0.2],
    [0.3, 0.7],
    [0.6, 0.4],
  ];
  const gold = [0, 1, 1, 0];
  // 10 bins: one example per bin 9, 8, 7, 6 with accuracy 1, 0, 1, 1
  const ten = calibration(probs, gold, 10);
  close(ten.ece, (0.1 + 0.8 + 0.3 + 0.4) / 4);
  assert.deepEqual(
    ten.table.map((b) => b.count),
    [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
  );
  // 5 bins: [0.8, 1] holds 0.9 and 0.8 (acc 0.5, conf 0.85); [0.6, 0.8) holds 0.7 and 0.6 (acc 1, conf 0.65)
  const five = calibration(probs, gold, 5);
  close(five.ece, 0.5 * 0.35 + 0.5 * 0.35);
  close(five.table[4]!.confidence, 0.85);
  assert.equal(five.table[4]!.accuracy, 0.5);
  assert.equal(five.table[3]!.accuracy, 1);
});

test('softmax with temperature and entropy', () => {
  const p = softmax([Math.log(3), 0]);
  close(p[0]!, 0.75);
  const p2 = softmax([Math.log(9), 0], 2);
  close(p2[0]!, 0.75);
  close(entropy([0.5, 0.5]), Math.log(2));
  close(entropy([1, 0]), 0);
});

test('temperature sweep: entropy rises and KL to gold follows -log p_T(gold)', () => {
  const logits = [
    [Math.log(3), 0],
    [0, 0],
  ];
  const gold = [0, 1];
  const sweep = temperatureSweep(logits, gold, [1, 2]);
  // T = 1: p = (0.75, 0.25) and (0.5, 0.5)
  const h1 = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  close(sweep[0]!.meanEntropy, (h1 + Math.log(2)) / 2);
  close(sweep[0]!.meanKlToGold, (-Math.log(0.75) + Math.log(2)) / 2);
  // T = 2: p0 = sqrt(3) / (sqrt(3) + 1)
  const q = Math.sqrt(3) / (Math.sqrt(3) + 1);
  close(sweep[1]!.meanKlToGold, (-Math.log(q) + Math.log(2)) / 2);
  assert.ok(sweep[1]!.meanEntropy > sweep[0]!.meanEntropy);
  assert.deepEqual(
    temperatureSweep(logits, gold).map((s) => s.temperature),
    [1, 2, 3, 4, 5],
  );
});
