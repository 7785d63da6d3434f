import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillInt64Feeds } from '../../src/teacher/int64-feeds.ts';

test('int64 feeds hold the ids, a 1/0 mask and the type ids, padded on the right with the pad id', () => {
  const rows = [
    { ids: [101, 7592, 30521, 102], typeIds: [0, 0, 1, 1], truncated: false },
    { ids: [101, 102], typeIds: [0, 0], truncated: false },
  ];
  const seq = 5;
  // garbage first, so any position left unwritten shows
  const ids = new BigInt64Array(10).fill(-1n);
  const mask = new BigInt64Array(10).fill(-1n);
  const types = new BigInt64Array(10).fill(-1n);
  fillInt64Feeds(rows, seq, 3, ids, mask, types);
  assert.deepEqual([...ids], [101n, 7592n, 30521n, 102n, 3n, 101n, 102n, 3n, 3n, 3n]);
  assert.deepEqual([...mask], [1n, 1n, 1n, 1n, 0n, 1n, 1n, 0n, 0n, 0n]);
  assert.deepEqual([...types], [0n, 0n, 1n, 1n, 0n, 0n, 0n, 0n, 0n, 0n]);
});
