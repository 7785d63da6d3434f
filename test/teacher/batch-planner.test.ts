import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { paddingWaste, planBatches } from '../../src/teacher/batch-planner.ts';

test('every input lands in exactly one batch, within the token budget and max size', () => {
  const rng = new SeededRng('planner');
  const lengths = Array.from({ length: 500 }, () => 3 + rng.int(60));
  const batches = planBatches(lengths, { tokenBudget: 512, maxBatchSize: 16 });
  const seen = batches.flat().sort((a, b) => a - b);
  assert.deepEqual(
    seen,
    lengths.map((_, i) => i),
  );
  for (const b of batches) {
    assert.ok(b.length <= 16);
    const longest = Math.max(...b.map((i) => lengths[i]!));
    assert.ok(b.length === 1 || b.length * longest <= 512, `batch of ${b.length} x ${longest} over budget`);
  }
});

test('length sorting keeps padding waste low on varied lengths', () => {
  const rng = new SeededRng('waste');
  const lengths = Array.from({ length: 2000 }, () => 5 + rng.int(50));
  const sorted = planBatches(lengths, { tokenBudget: 4096, maxBatchSize: 32 });
  const unsorted = Array.from({ length: Math.ceil(lengths.length / 32) }, (_, k) =>
    lengths.map((_, i) => i).slice(k * 32, (k + 1) * 32),
  );
  assert.ok(paddingWaste(lengths, sorted) < 0.05, `waste ${paddingWaste(lengths, sorted)}`);
  assert.ok(paddingWaste(lengths, unsorted) > 0.2);
});

test('an input longer than the budget still gets a batch of its own', () => {
  assert.deepEqual(planBatches([1000, 2], { tokenBudget: 100, maxBatchSize: 8 }), [[1], [0]]);
});

test('rejects nonsense limits with a precise message', () => {
  assert.throws(() => planBatches([1], { tokenBudget: 0, maxBatchSize: 1 }), /tokenBudget and maxBatchSize >= 1/);
});

test('a batch of very mixed lengths is split where padding would exceed the allowed share', () => {
  const lengths = [10, 11, 12, 100, 101];
  const tight = planBatches(lengths, { tokenBudget: 10_000, maxBatchSize: 64, maxPaddingWaste: 0.2 });
  assert.deepEqual(tight, [
    [0, 1, 2],
    [3, 4],
  ]);
  assert.ok(paddingWaste(lengths, tight) <= 0.2);
  const loose = planBatches(lengths, { tokenBudget: 10_000, maxBatchSize: 64, maxPaddingWaste: 1 });
  assert.deepEqual(loose, [[0, 1, 2, 3, 4]]);
});
