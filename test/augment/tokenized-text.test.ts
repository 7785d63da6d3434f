import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchCase, TokenizedText } from '../../src/augment/text/tokenized-text.ts';

test('parse keeps every character of the input', () => {
  for (const s of [
    '',
    '   ',
    'Hello, World!  ',
    "it 's a don't well-made film .",
    '日本語のテキスト 🎬👍 ok',
    'tab\there\nnew\u0000ctl',
    ' lead',
    '\ud800 lone \udc00',
    '\u00a0nbsp\u3000ideo',
    'e\u0301clair 𝒳𝒴',
  ]) {
    assert.equal(TokenizedText.parse(s).text, s);
  }
});

test('non-ASCII: Unicode spaces separate, combining marks and astral letters stay in words', () => {
  assert.deepEqual(
    TokenizedText.parse('\u00a0naïve\u3000e\u0301clair 𝒳𝒴, 日本語').tokens.map((t) => [t.text, t.word]),
    [
      ['naïve', true],
      ['e\u0301clair', true],
      ['𝒳𝒴', true],
      [',', false],
      ['日本語', true],
    ],
  );
  assert.deepEqual(
    TokenizedText.parse('x \ud800 y').tokens.map((t) => t.text),
    ['x', '\ud800', 'y'],
  );
});

test('words and punctuation are told apart', () => {
  const t = TokenizedText.parse("Wow, it's GREAT!!");
  assert.deepEqual(
    t.tokens.map((x) => x.text),
    ['Wow', ',', "it's", 'GREAT', '!!'],
  );
  assert.deepEqual(t.wordIndices, [0, 2, 3]);
});

test('edits return new values and track modified positions', () => {
  const t = TokenizedText.parse('the cat sat on the mat .');
  const r = t.replace(1, 'house cat');
  assert.equal(r.text, 'the house cat sat on the mat .');
  assert.deepEqual(r.modified, [1, 2]);
  assert.equal(t.text, 'the cat sat on the mat .', 'original untouched');
  const i = r.insert(0, 'so');
  assert.equal(i.text, 'so the house cat sat on the mat .');
  assert.deepEqual(i.modified, [0, 2, 3]);
  const d = i.remove(4);
  assert.equal(d.text, 'so the house cat on the mat .');
  assert.deepEqual(d.modified, [0, 2, 3]);
  assert.equal(d.edits, 3);
  const s = d.swap(0, 7);
  assert.equal(s.text, '. the house cat on the mat so');
  assert.deepEqual(s.modified, [0, 2, 3, 7]);
});

test('removing the first token keeps the text from starting with a space', () => {
  assert.equal(TokenizedText.parse('Really good film').remove(0).text, 'good film');
});

test('rewrite marks only tokens off the common subsequence', () => {
  const r = TokenizedText.parse('the film was very good .').rewrite('the movie was very good !');
  assert.deepEqual(r.modified, [1, 5]);
  assert.equal(r.text, 'the movie was very good !');
});

test('matchCase follows the replaced word', () => {
  assert.equal(matchCase('Good', 'fine'), 'Fine');
  assert.equal(matchCase('GOOD', 'fine'), 'FINE');
  assert.equal(matchCase('good', 'fine'), 'fine');
  assert.equal(matchCase('Good', 'ice cream'), 'Ice cream');
});

test('clitics and glued compounds are not words; a split-off clitic is bound to its host', () => {
  const t = TokenizedText.parse("i 'd say it 's fine , but ca n't the U.S. jr. 's 3.5 and/or I'd can't (wow)");
  const marks = t.tokens.map((x) => `${x.text}${x.word ? '' : '~'}${x.bound ? '^' : ''}`);
  assert.deepEqual(marks, [
    'i',
    "'~^",
    'd~',
    'say',
    'it',
    "'~^",
    's~',
    'fine',
    ',~',
    'but',
    'ca~',
    "n't~^",
    'the',
    'U~',
    '.~',
    'S~',
    '.~',
    'jr',
    '.~',
    "'~^",
    's~',
    '3~',
    '.~',
    '5~',
    'and~',
    '/~',
    'or~',
    "I'd",
    "can't",
    '(~',
    'wow',
    ')~',
  ]);
  assert.ok(t.isHost(0) && t.isHost(4) && t.isHost(17), 'i, it and jr. carry clitics');
  assert.ok(!t.isHost(3) && !t.isHost(27));
});

test('remove keeps glued punctuation glued, unless it would merge into other punctuation', () => {
  assert.equal(TokenizedText.parse('London is grey.').remove(2).text, 'London is.');
  assert.equal(TokenizedText.parse('a , mr. x').remove(2).text, 'a , . x');
  assert.equal(TokenizedText.parse('London is grey .').remove(2).text, 'London is .');
});

test('insert goes between chunks only', () => {
  const t = TokenizedText.parse('Paris is lovely; London is grey.');
  assert.equal(t.insert(t.tokens.length - 2, 'hoary').text, 'Paris is lovely; London is hoary grey.');
  assert.throws(() => t.insert(t.tokens.length - 1, 'hoary'), /inside/, 'before the "." glued to "grey"');
  assert.throws(() => TokenizedText.parse("it 's").insert(1, 'so'), /inside/, "between it and 's");
});
