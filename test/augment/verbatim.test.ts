/**
 * The "never corrupt text" check over every single-op augmentation that runs without a model: on SST-2 dev,
 * all of SST-2 train (67,349 phrases: about 4 s for the eight op settings) and a cased, punctuated sample,
 * each op keeps the words and punctuation it did not edit verbatim (spacing included) and brings in no
 * apostrophe-led token. The model ops (masked-lm, adversarial) edit through the same TokenizedText and word
 * choice; back-translation rewrites the whole text, so "untouched words" has no meaning for it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import type { AugmentOp } from '../../src/augment/op.ts';
import { createOp, type OpName } from '../../src/augment/ops/registry.ts';
import { TokenizedText } from '../../src/augment/text/tokenized-text.ts';
import { CASED_SAMPLE } from './cased-sample.ts';
import { item, sharedDir, sst2Dev } from './helpers.ts';
import { verbatimProblem, type EditKind } from './verbatim-check.ts';

const train = readFileSync(path.join(sharedDir, 'data/corpora/sst2/train.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);

const dir = mkdtempSync(path.join(tmpdir(), 'verbatim-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lexiconFile = path.join(dir, 'lexicon.json');
// common words of all three corpora, so the lexicon op edits plenty of texts
writeFileSync(
  lexiconFile,
  JSON.stringify({
    film: ['movie', 'motion picture'],
    movie: ['film'],
    funny: ['amusing'],
    good: ['fine'],
    great: ['superb'],
    story: ['tale'],
    battery: ['cell'],
    price: ['cost'],
  }),
);

const OPS: { name: OpName; kind: EditKind; params?: Record<string, unknown> }[] = [
  { name: 'insert', kind: 'insert', params: { alpha: 0.3 } },
  { name: 'delete', kind: 'delete', params: { alpha: 0.3 } },
  { name: 'delete', kind: 'delete', params: { alpha: 0.3, protectStopwords: false } },
  { name: 'swap', kind: 'swap', params: { alpha: 0.3 } },
  { name: 'synonym', kind: 'replace', params: { alpha: 0.3 } },
  { name: 'synonym', kind: 'replace', params: { alpha: 0.3, posAware: false } },
  { name: 'char-noise', kind: 'replace', params: { alpha: 0.3 } },
  { name: 'lexicon', kind: 'replace', params: { file: lexiconFile } },
];

async function check(corpus: string, texts: readonly string[], minEdited: number): Promise<void> {
  const items = texts.map((t, i) => item(t, `${corpus}-${i}`));
  for (const spec of OPS) {
    const op: AugmentOp = createOp(spec.name, spec.params);
    const results = await op.apply(items, new SeededRng(17), {});
    let edited = 0;
    const problems: string[] = [];
    results.forEach((r, n) => {
      if (r.status === 'skipped') return assert.notEqual(r.reason, 'op-failed', `${texts[n]}: ${r.detail}`);
      edited++;
      const problem = verbatimProblem(spec.kind, texts[n]!, r.text);
      if (problem) problems.push(`${problem}\n    ${texts[n]}\n -> ${r.text}`);
    });
    const label = `${corpus} ${spec.name} ${JSON.stringify(spec.params)}`;
    assert.deepEqual(problems.slice(0, 5), [], `${label}: ${problems.length} of ${edited} corrupted`);
    assert.ok(edited >= minEdited, `${label}: only ${edited} texts edited, the check saw too little`);
  }
}

test('cased, punctuated sample: every op keeps untouched words and punctuation verbatim', async () => {
  await check('cased', CASED_SAMPLE, 8);
});

test('SST-2 dev: every op keeps untouched words and punctuation verbatim', async () => {
  await check(
    'dev',
    sst2Dev().map((e) => e.text),
    40,
  );
});

test('SST-2 train (all of it): every op keeps untouched words and punctuation verbatim', async () => {
  await check('train', train, 5000);
});

test('the check itself catches the corruptions users reported', () => {
  assert.match(
    verbatimProblem('insert', 'Paris is lovely; London is grey.', 'Paris is lovely; London is greygray-headed .')!,
    /lost|glued|spacing/,
  );
  assert.match(verbatimProblem('insert', 'So GREAT.', 'So GREAT globe.')!, /glued/);
  assert.match(verbatimProblem('replace', "i 'd buy it again .", "i 'metre buy it again .")!, /apostrophe-led/);
  assert.match(verbatimProblem('insert', "i 'd buy it .", "i 'chiliad d buy it .")!, /apostrophe-led|clitic/);
  assert.match(verbatimProblem('swap', "hitachi 's price code .", "hitachi 'price s code .")!, /apostrophe-led/);
  assert.match(verbatimProblem('insert', "it 's good .", "it fine 's good .")!, /clitic moved/);
  assert.match(verbatimProblem('swap', "the film 's end .", "the end 's film .")!, /clitic moved/);
  assert.match(verbatimProblem('replace', "ca n't stop .", "calcium n't stop .")!, /not a free-standing word/);
  assert.equal(verbatimProblem('replace', 'London is grey.', 'London is gray.'), undefined);
  assert.equal(verbatimProblem('insert', 'London is grey.', 'London is hoary grey.'), undefined);
});

test('insert never splits a chunk, whatever the slot', () => {
  const t = TokenizedText.parse("Paris is lovely; it 's grey.");
  assert.deepEqual(
    t.insertSlots.map((i) => t.insert(i, 'hoary').text),
    [
      "hoary Paris is lovely; it 's grey.",
      "Paris hoary is lovely; it 's grey.",
      "Paris is hoary lovely; it 's grey.",
      "Paris is lovely; hoary it 's grey.",
      "Paris is lovely; it 's hoary grey.",
    ],
  );
  assert.throws(() => t.insert(3, 'hoary'), /inside/);
});
