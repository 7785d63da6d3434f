/** `distillery augment` with model-backed recipes through the real CLI: model flags, config defaults, one-line refusals. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { runCli } from './helpers/cli.ts';

const dir = tempDir('distillery-cli-augment-');
const corpus = path.join(dir, 'en.jsonl');
writeFileSync(
  corpus,
  ['The cat sat on the table.', 'My mother and father love music.', 'The children play in the snow.']
    .map((text, i) => JSON.stringify({ text, label: i % 2 }))
    .join('\n') + '\n',
);

interface Row {
  id: string;
  text: string;
  origin: { kind: string; parentId?: string; ops?: string[] };
}
const rows = (stdout: string): Row[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);

test('--fill-mask runs tinybert; the same seed gives the same lines', async () => {
  const args = [
    'augment',
    '--input',
    corpus,
    '--recipe',
    '{"builtin":"tinybert","variants":2}',
    '--seed',
    '4',
    '--only-new',
    '--fill-mask',
    'tiny-bert-mlm',
  ];
  const a = await runCli(args);
  assert.equal(a.code, 0, a.stderr);
  const out = rows(a.stdout);
  assert.ok(out.length > 0);
  for (const r of out) assert.deepEqual(r.origin.ops, ['masked-lm']);
  assert.equal((await runCli(args)).stdout, a.stdout);
});

test('--translation runs back-translation through the given pair; models also come from the config', async () => {
  const recipe = '{"builtin":"backtranslate","variants":2,"params":{"pivots":["xx"],"temperature":4,"topK":8}}';
  const flags = await runCli([
    'augment',
    '--input',
    corpus,
    '--recipe',
    recipe,
    '--only-new',
    '--translation',
    'en-xx=tiny-marian-en-xx',
    'xx-en=tiny-marian-xx-en',
  ]);
  assert.equal(flags.code, 0, flags.stderr);
  assert.ok(rows(flags.stdout).every((r) => r.origin.ops?.[0] === 'back-translate'));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, 'augmentModels: { translation: { en-xx: tiny-marian-en-xx, xx-en: tiny-marian-xx-en } }\n');
  const fromConfig = await runCli(['augment', '--input', corpus, '--recipe', recipe, '--only-new', '--config', config]);
  assert.equal(fromConfig.code, 0, fromConfig.stderr);
  assert.equal(fromConfig.stdout, flags.stdout);
});

test('a missing model is one line naming the flag and the config key', async () => {
  const mlm = await runCli(['augment', '--input', corpus, '--recipe', 'tinybert']);
  assert.equal(mlm.code, 1);
  assert.match(
    mlm.stderr,
    /^distillery: recipe tinybert needs a masked-LM model \(pass --fill-mask .*augmentModels: \{ fillMask/,
  );
  const bt = await runCli([
    'augment',
    '--input',
    corpus,
    '--recipe',
    'backtranslate',
    '--translation',
    'en-xx=tiny-marian-en-xx',
  ]);
  assert.equal(bt.code, 1);
  assert.match(bt.stderr, /needs translation models for en-de, de-en \(pass --translation en-de=/);
  const bad = await runCli(['augment', '--input', corpus, '--recipe', 'backtranslate', '--translation', 'en-de']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--translation en-de: expected DIRECTION=MODEL/);
});

test('--generator runs paraphrase with a causal LM; the same seed gives the same lines, the config names it too', async () => {
  const args = ['augment', '--input', corpus, '--recipe', 'paraphrase', '--seed', '5', '--only-new'];
  const missing = await runCli(args);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^distillery: recipe paraphrase needs a causal LM to write with \(pass --generator /);
  const a = await runCli([...args, '--generator', 'demo-lm']);
  assert.equal(a.code, 0, a.stderr);
  const out = rows(a.stdout);
  assert.ok(out.length > 0);
  for (const r of out) assert.deepEqual(r.origin.ops, ['generate']);
  assert.equal((await runCli([...args, '--generator', 'demo-lm'])).stdout, a.stdout);
  const config = path.join(dir, 'generator.yaml');
  writeFileSync(config, 'augmentModels: { generator: demo-lm }\n');
  const fromConfig = await runCli([...args, '--config', config]);
  assert.equal(fromConfig.code, 0, fromConfig.stderr);
  assert.equal(fromConfig.stdout, a.stdout);
});
