/** addEncodedExamples: rows already serialized (a part's) are refused for the faults addExamples refuses. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { inputHash, openStore, type EncodedExampleRows } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('distillery-encoded-examples-');

function rows(n: number): EncodedExampleRows {
  const texts = Array.from({ length: n }, (_, i) => `text ${i}`);
  return {
    ids: texts.map((_, i) => `e${i}`),
    texts,
    pairs: texts.map(() => null),
    labels: texts.map((_, i) => (i % 2 === 0 ? '"pos"' : String(i))),
    origins: texts.map(() => '{"kind":"original"}'),
    kinds: texts.map(() => 'original'),
    inputHashes: Buffer.concat(texts.map((text) => Buffer.from(inputHash({ text }), 'hex'))),
  };
}

test('encoded rows are stored as addExamples stores them, and faulty ones are refused whole', () => {
  const store = openStore(path.join(dir, 'encoded.db'));
  store.createDataset({ id: 'enc' });
  const faults: [string, (r: EncodedExampleRows) => EncodedExampleRows, RegExp][] = [
    ['no id', (r) => ({ ...r, ids: r.ids.map((id, i) => (i === 2 ? '' : id)) }), /example 2 \(id ''\) has no id/],
    [
      'object label',
      (r) => ({ ...r, labels: r.labels.map((l, i) => (i === 1 ? '{"a":1}' : l)) }),
      /example 1 \(id 'e1'\) has a label that is neither string nor number/,
    ],
    ['no origin', (r) => ({ ...r, kinds: r.kinds.map((k, i) => (i === 0 ? null : k)) }), /example 0 .* has no origin/],
    ['short hashes', (r) => ({ ...r, inputHashes: r.inputHashes.subarray(1) }), /columns differ in length/],
  ];
  for (const [name, fault, message] of faults) {
    assert.throws(() => store.addEncodedExamples('enc', fault(rows(3))), message, name);
    assert.equal(store.exampleCounts('enc').examples, 0, name);
  }
  assert.deepEqual(store.addEncodedExamples('enc', rows(3)), { inserted: 3, skipped: 0 });
  // a replay takes no ordinals
  assert.deepEqual(store.addEncodedExamples('enc', rows(4)), { inserted: 1, skipped: 3 });
  const stored = [...store.iterateExamples('enc')];
  assert.deepEqual(
    stored.map((e) => [e.ordinal, e.id, e.label, e.origin.kind]),
    [
      [0, 'e0', 'pos', 'original'],
      [1, 'e1', 1, 'original'],
      [2, 'e2', 'pos', 'original'],
      [3, 'e3', 3, 'original'],
    ],
  );
  assert.deepEqual(
    stored.map((e) => e.inputHash),
    stored.map((e) => inputHash(e)),
  );
  store.close();
});
