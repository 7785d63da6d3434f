import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { UserLexicon } from '../../src/augment/lexicon/user-lexicon.ts';
import { CharNoiseOp, KEYBOARD_NEIGHBOURS } from '../../src/augment/ops/char-noise-op.ts';
import { LexiconOp } from '../../src/augment/ops/lexicon-op.ts';
import { isStopword } from '../../src/augment/text/stopwords.ts';
import { TokenizedText } from '../../src/augment/text/tokenized-text.ts';
import { item, sst2Dev } from './helpers.ts';

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function osa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

test('keyboard neighbours are real QWERTY neighbours', () => {
  // s: a d beside it, w e above, z x below (rows are staggered, so q and c are too far)
  assert.equal([...KEYBOARD_NEIGHBOURS.get('s')!].sort().join(''), 'adewxz');
  assert.ok(
    KEYBOARD_NEIGHBOURS.get('g')!.includes('h') &&
      KEYBOARD_NEIGHBOURS.get('g')!.includes('t') &&
      !KEYBOARD_NEIGHBOURS.get('g')!.includes('p'),
  );
});

test('character noise: one edit per word, within the budget, first letter and stopwords kept', async () => {
  const texts = sst2Dev(200).map((e) => e.text);
  const op = new CharNoiseOp({ alpha: 0.5, budget: 2 });
  const results = await op.apply(
    texts.map((t, i) => item(t, `c${i}`)),
    new SeededRng(11),
    {},
  );
  const kinds = { keyboard: 0, other: 0 };
  results.forEach((r, n) => {
    if (r.status !== 'ok') return;
    const original = TokenizedText.parse(texts[n]!);
    assert.equal(r.value.tokens.length, original.tokens.length);
    assert.ok(r.changed.length >= 1 && r.changed.length <= 2, `changed ${r.changed.length} words`);
    for (const i of r.changed) {
      const a: string = original.tokens[i]!.text;
      const b: string = r.value.tokens[i]!.text;
      assert.ok(!isStopword(a));
      assert.equal(b[0], a[0], 'first letter kept');
      assert.equal(osa(a, b), 1, `${a} -> ${b}`);
      if (a.length === b.length && [...a].filter((c, k) => c !== b[k]).length === 1) {
        const k = [...a].findIndex((c, k2) => c !== b[k2]);
        assert.ok(
          KEYBOARD_NEIGHBOURS.get(a[k]!.toLowerCase())!.includes(b[k]!.toLowerCase()),
          `${a[k]} -> ${b[k]} is no neighbour`,
        );
        kinds.keyboard++;
      } else kinds.other++;
    }
  });
  assert.ok(kinds.keyboard > 10 && kinds.other > 10, JSON.stringify(kinds));
});

test('character noise keeps an uppercase letter uppercase', async () => {
  const op = new CharNoiseOp({ alpha: 1, budget: 1, edits: ['keyboard'] });
  for (let seed = 0; seed < 20; seed++) {
    const [r] = await op.apply([item('STUNNING')], new SeededRng(seed), {});
    assert.equal(r!.status, 'ok');
    if (r!.status === 'ok') assert.match(r!.text, /^[A-Z]{8}$/);
  }
});

test('knowledge injection: JSON and TSV lexicons, longest multi-word match, types, casing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-lexicon-'));
  try {
    const json = path.join(dir, 'med.json');
    writeFileSync(
      json,
      JSON.stringify({
        'heart attack': ['myocardial infarction', { term: 'MI', type: 'abbreviation' }],
        heart: ['ticker'],
      }),
    );
    const tsv = path.join(dir, 'med.tsv');
    writeFileSync(
      tsv,
      '# term\trelated\ttype\nheart attack\tmyocardial infarction\nheart attack\tMI\tabbreviation\nheart\tticker\n',
    );
    for (const file of [json, tsv]) {
      const lexicon = UserLexicon.fromFile(file);
      const op = new LexiconOp(lexicon, { types: ['abbreviation'] });
      const [r] = await op.apply([item('Heart attack risk: a heart condition.')], new SeededRng(1), {});
      assert.equal(r!.status === 'ok' && r!.text, 'MI risk: a heart condition.', file);
      const all = new LexiconOp(lexicon);
      const outs = new Set<string>();
      for (let s = 0; s < 30; s++) {
        const [x] = await all.apply([item('Heart attack risk: a heart condition.')], new SeededRng(s), {});
        if (x!.status === 'ok') outs.add(x!.text);
      }
      assert.deepEqual([...outs].sort(), [
        'MI risk: a ticker condition.',
        'Myocardial infarction risk: a ticker condition.',
      ]);
    }
    const [none] = await new LexiconOp(UserLexicon.fromFile(json)).apply([item('nothing here')], new SeededRng(1), {});
    assert.equal(none!.status === 'skipped' && none!.reason, 'no-candidates');
    writeFileSync(path.join(dir, 'bad.tsv'), 'heart only\n');
    assert.throws(() => UserLexicon.fromFile(path.join(dir, 'bad.tsv')), /bad\.tsv:1: expected "term<TAB>related/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
