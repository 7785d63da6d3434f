/**
 * The JavaScript built into dist/ (what bin/distillery.js and `npm start` run after `npm ci`) behaves
 * like the TypeScript sources the rest of the suite runs through tsx: same version, same augmentations,
 * and the worker threads, SQL migrations and exports that it finds next to itself work from dist/ too.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { modulesLoadedBy } from '../helpers/loaded-modules.ts';
import { tempDir } from '../helpers/temp-dir.ts';
// @ts-expect-error plain JS module without types, shared by bin/distillery.js and the build
import { distState } from '../../scripts/dist-freshness.js';

const BIN = path.join(REPO_ROOT, 'bin/distillery.js');
const dir = tempDir();
const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function bin(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, DISTILLERY_DEBUG: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  // What `npm ci` runs (the prepare script); a no-op when dist/ is already fresh.
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build-dist.js')], { cwd: REPO_ROOT });
  assert.equal(distState(REPO_ROOT), 'fresh');
});

test('--version prints the package version, from dist/', () => {
  const r = bin(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
  assert.match(r.stderr, /running dist\//);
});

test('augmenting a line from dist/ gives the same bytes as the sources through tsx', () => {
  const input = path.join(dir, 'one.txt');
  writeFileSync(input, 'The film is a charming, funny and quietly moving story.\n');
  const args = ['augment', '--input', input, '--recipe', 'eda', '--seed', '7'];
  const built = bin(args);
  assert.equal(built.code, 0, built.stderr);
  assert.match(built.stderr, /running dist\//);
  const fromSources = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  assert.equal(fromSources.status, 0, fromSources.stderr);
  assert.ok(built.stdout.trim().split('\n').length > 1, 'the line and its augmentations');
  assert.equal(built.stdout, fromSources.stdout);
});

test("dist/'s bundled zod (dist/vendor/) refuses bad recipes and configs with zod's own messages", () => {
  const input = path.join(dir, 'bad.txt');
  writeFileSync(input, 'a line\n');
  const config = path.join(dir, 'bad-config.json');
  writeFileSync(config, JSON.stringify({ port: 'eighty', teachers: [{ name: 'x' }], nope: 1 }));
  // without DISTILLERY_DEBUG, which would add stack traces that differ between the two trees
  const { DISTILLERY_DEBUG: _debug, ...env } = process.env;
  const run = (entry: string[], args: string[]) =>
    spawnSync(process.execPath, [...entry, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env });
  for (const args of [
    ['augment', '--input', input, '--recipe', '{"builtin":"eda","params":{"alpha":2}}'],
    ['augment', '--input', input, '--recipe', '{"flow":{"op":"synonym","params":{"alpha":"x"}},"variants":0}'],
    ['augment', '--input', input, '--recipe', '{"builtin":"eda"}', '--config', config],
  ]) {
    const built = run([BIN], args);
    const sources = run(['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts')], args);
    assert.equal(built.status, 1, built.stderr);
    assert.match(built.stderr, /^distillery: .*(Expected|Invalid|Unrecognized)/i);
    assert.equal(built.stderr, sources.stderr, args.join(' '));
  }
  assert.equal(distState(REPO_ROOT), 'fresh', 'the built CLI ran dist/');
});

test('an augment from dist/ loads zod as the one bundled file, without its 64 translations', () => {
  const input = path.join(dir, 'one-zod.txt');
  writeFileSync(input, 'a warm and funny film\n');
  const r = modulesLoadedBy(['augment', '--input', input, '--recipe', 'eda', '--seed', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.modules.includes('dist/vendor/zod.js'), 'the built modules import dist/vendor/zod.js');
  assert.deepEqual(
    r.modules.filter((m) => m.includes('node_modules/zod/')),
    [],
  );
});

test('labelling and exporting from dist/ finds its worker threads and migrations next to the built code', () => {
  const input = path.join(dir, 'two.txt');
  writeFileSync(input, 'a warm, funny film\ndull and far too long\n');
  const out = path.join(dir, 'out');
  const r = bin(['label', '--input', input, '--teacher', 'demo', '--db', path.join(dir, 'x.db'), '--dataset', 'd']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /running dist\//);
  const e = bin(['export', 'd', '--format', 'jsonl', '--out', out, '--db', path.join(dir, 'x.db')]);
  assert.equal(e.code, 0, e.stderr);
  const rows = readFileSync(path.join(out, 'd-00000.jsonl'), 'utf8').trim().split('\n');
  assert.deepEqual(
    rows.map((l) => (JSON.parse(l) as { text: string }).text),
    ['a warm, funny film', 'dull and far too long'],
  );
});
