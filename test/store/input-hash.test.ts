import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { inputHash } from '../../src/store/index.ts';
import { normalizeText } from '../../src/store/input-hash.ts';

// The content address every cache row is keyed by: its fast paths must give exactly the full rule.
const fullRule = (t: string) => t.normalize('NFC').trim().replace(/\s+/gu, ' ');

test('normalizeText equals NFC + trim + whitespace collapse on ASCII, Unicode spaces and combining marks', () => {
  const pieces = [
    'a',
    'Z',
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    '\u00a0',
    '\u3000',
    '\u2028',
    '\ufeff',
    '\u0085',
    'e\u0301',
    'é',
    '.',
    '\u200b',
  ];
  const rng = new SeededRng(7);
  for (let i = 0; i < 20000; i++) {
    let t = '';
    for (let n = rng.int(10); n > 0; n--) t += pieces[rng.int(pieces.length)];
    assert.equal(normalizeText(t), fullRule(t), JSON.stringify(t));
  }
});

test('inputs that differ only in normal form or whitespace share one hash', () => {
  assert.equal(inputHash({ text: 'caf\u00e9  au lait ' }), inputHash({ text: 'cafe\u0301 au\tlait' }));
  assert.notEqual(inputHash({ text: 'cafe au lait' }), inputHash({ text: 'caf\u00e9 au lait' }));
});
