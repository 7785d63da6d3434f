/**
 * kill -9 a real `distillery run` mid-job, run the same command again, and get the same export bytes as
 * an uninterrupted run (which also uses another chunk size: rows must not depend on it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { killAfterThirdChunk, runCli, startCli } from './helpers/cli.ts';
import { openStore, SST2_DEV } from './helpers/pipeline-fixture.ts';

const dir = tempDir('distillery-kill-');

function writeJob(name: string, chunkSize: number): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: sst2-kill
corpus: { path: ${JSON.stringify(SST2_DEV)} }
recipe: { builtin: eda, variants: 2 }
seed: 3
teachers: [demo]
outputs: { temperatures: [1, 2] }
chunkSize: ${chunkSize}
export: [{ format: parquet, out: out-${name} }]
`,
  );
  return file;
}

const exported = (name: string): Buffer => {
  const m = JSON.parse(readFileSync(path.join(dir, `out-${name}/sst2-kill.parquet.manifest.json`), 'utf8')) as {
    files: { path: string }[];
  };
  assert.equal(m.files.length, 1);
  return readFileSync(path.join(dir, `out-${name}`, m.files[0]!.path));
};

test('kill -9 mid-run, rerun: nothing lost, nothing duplicated, identical export', async () => {
  const whole = await runCli([
    'run',
    writeJob('whole', 1000),
    '--db',
    path.join(dir, 'whole.db'),
    '--progress',
    'none',
  ]);
  assert.equal(whole.code, 0, whole.stderr);

  const job = writeJob('killed', 60);
  const db = path.join(dir, 'killed.db');
  // kill at a seeded-random moment after the third committed chunk (15 chunks in all)
  const killedAt = await killAfterThirdChunk(['run', job, '--db', db], 'kill-test', 150);

  const store = openStore(db);
  assert.equal(store.integrityCheck(), 'ok');
  const partial = store.datasetStats('sst2-kill');
  store.close();
  assert.ok(partial.originals >= killedAt * 60 && partial.originals < 872, `${partial.originals} originals committed`);
  assert.equal(partial.originals % 60, 0, 'only whole chunks are committed');

  const resumed = await runCli(['run', job, '--db', db, '--progress', 'none']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`resumed after ${partial.originals} records`));
  assert.ok(
    exported('killed').equals(exported('whole')),
    'the resumed export must equal the uninterrupted one byte for byte',
  );
});

test('Ctrl-C (SIGINT) stops after the current chunk with exit code 130; the same command continues', async () => {
  const job = path.join(dir, 'sigint.yaml');
  writeFileSync(
    job,
    `dataset: sst2-sigint\ncorpus: { path: ${JSON.stringify(SST2_DEV)} }\nteachers: [demo]\nchunkSize: 50\n`,
  );
  const db = path.join(dir, 'sigint.db');
  let sent = false;
  const { done } = startCli(['run', job, '--db', db, '--progress', 'json'], (line, child) => {
    if (!line.startsWith('{')) return;
    const e = JSON.parse(line) as { type: string; chunks: number };
    if (!sent && e.type === 'chunk' && e.chunks >= 2) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const stopped = await done;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stdout, /stopped after chunk \d+; .*Run the same command to continue/);
  assert.match(stopped.stderr, /stopping after the current chunk/);
  const store = openStore(db);
  const committed = store.datasetStats('sst2-sigint').originals;
  store.close();
  assert.ok(committed >= 100 && committed < 872 && committed % 50 === 0, `${committed} committed`);
  const rest = await runCli(['run', job, '--db', db, '--progress', 'none']);
  assert.equal(rest.code, 0, rest.stderr);
  assert.match(rest.stdout, new RegExp(`872 examples from 872 records, resumed after ${committed} records`));
});
