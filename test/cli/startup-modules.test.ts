/**
 * What a `distillery` start parses is what it costs (docs/BENCHMARKS.md, start-up): these tests count
 * the modules a process resolves (test/helpers/loaded-modules.ts) for the commands whose start-up was
 * trimmed, so that an import added in the wrong place fails here instead of slowing every run.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { COMMAND_MODULES } from '../../src/cli/command-table.ts';
import { modulesLoadedBy, sourceModulesUnder } from '../helpers/loaded-modules.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('the top-level help loads no command module; COMMAND --help loads only its own', () => {
  for (const args of [['--help'], ['help'], []]) {
    const r = modulesLoadedBy(args);
    assert.equal(r.status, args.length === 0 ? 1 : 0, r.stderr);
    assert.match(args.length === 0 ? r.stderr : r.stdout, /^  augment \[options\] +Augment a corpus/m);
    assert.ok(
      r.modules.some((m) => /^(src|dist)\/cli\/main\.(ts|js)$/.test(m)),
      `${args}: the hook saw the CLI`,
    );
    assert.deepEqual(sourceModulesUnder(r.modules, 'cli/commands'), [], `distillery ${args.join(' ')}`);
  }
  for (const args of [
    ['datasets', '--help'],
    ['help', 'run'],
  ]) {
    const r = modulesLoadedBy(args);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: distillery (datasets|run) /);
    assert.deepEqual(sourceModulesUnder(r.modules, 'cli/commands'), [
      `cli/commands/${args.find((a) => a in COMMAND_MODULES)}`,
    ]);
  }
});

test('datasets list opens the store without the teachers, the job runner, the exporters or the augmenters', () => {
  const r = modulesLoadedBy(['datasets', 'list', '--db', path.join(tempDir(), 'store.db')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'no datasets\n');
  assert.ok(sourceModulesUnder(r.modules, 'store').includes('store/store'), 'the hook saw the store open');
  const unneeded = ['teacher', 'export', 'augment', 'jobs/runner', 'jobs/scale', 'jobs/sequence/sequence-export']
    .flatMap((folder) => sourceModulesUnder(r.modules, folder))
    .concat(r.modules.filter((m) => /node_modules\/(hyparquet|hyparquet-writer|p-queue|@huggingface)\//.test(m)));
  assert.deepEqual(unneeded, []);
});
