/**
 * The queue-free path of a Kubernetes Indexed Job: `run --shard i/n --parts DIR` in separate real
 * processes writes the parts of the chunks each shard owns (the files queue workers write), and
 * `run --parts DIR` merges them and exports the same bytes as a plain `distillery run` of the job;
 * `run --parts DIR --export-only` writes the same files straight from the parts, with no store.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { assertSameExport, exportSha256, runCli, writeCorpus, writeJob } from './helpers.ts';

const dir = tempDir('distillery-shard-parts-');

test('shards write parts without a queue; merging them exports what a plain run exports', async () => {
  const corpus = writeCorpus(dir, 100);
  const plain = await runCli(['run', writeJob(dir, 'plain', corpus, 20), '--db', path.join(dir, 'plain.db')]);
  assert.equal(plain.code, 0, plain.stderr);

  const job = writeJob(dir, 'sharded', corpus, 20);
  const parts = path.join(dir, 'parts');
  const shard = (i: number, db = `shard-${i}.db`) =>
    runCli(['run', job, '--shard', `${i}/2`, '--parts', parts, '--db', path.join(dir, db), '--progress', 'json']);
  const merge = (db: string, from = parts) => runCli(['run', job, '--parts', from, '--db', path.join(dir, db)]);

  // shard 0 of 2 owns chunks 0, 2, 4 of the five
  const s0 = await shard(0);
  assert.equal(s0.code, 0, s0.stderr);
  assert.match(s0.stdout, /shard 0\/2 of job sst2-queue-[0-9a-f]{12}: 3 parts written, 0 already in/);
  const written = s0.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; chunk: number; part: string });
  assert.deepEqual(
    written.map((e) => e.chunk),
    [0, 2, 4],
  );
  assert.deepEqual(readdirSync(parts).sort(), written.map((e) => e.part).sort());

  // merging before shard 1 ran names the missing chunks and stores nothing
  const early = await merge('final.db');
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /2 of 5 chunks of job sst2-queue-[0-9a-f]{12} have no part in .*: chunk 1, 3/);
  assert.match(early.stderr, /shard k mod n/);
  const listed = await runCli(['datasets', 'list', '--db', path.join(dir, 'final.db'), '--json']);
  assert.ok(!listed.stdout.includes('sst2-queue'), listed.stdout);

  const s1 = await shard(1);
  assert.equal(s1.code, 0, s1.stderr);
  assert.match(s1.stdout, /2 parts written, 0 already in/);
  assert.deepEqual(
    readdirSync(parts)
      .map((f) => f.slice(0, 12))
      .sort(),
    ['chunk-000000', 'chunk-000001', 'chunk-000002', 'chunk-000003', 'chunk-000004'],
  );
  // a pod restarted by Kubernetes finds its parts there and computes nothing again
  const again = await shard(0);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 parts written, 3 already in/);

  const merged = await merge('final.db');
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, /dataset sst2-queue done \(merged 5 parts of job sst2-queue-[0-9a-f]{12} from /);
  assertSameExport(dir, 'plain', 'sharded');
  const stored = exportSha256(path.join(dir, 'out-sharded'));

  // --export-only: the same files written straight from the parts, and no row in the store
  rmSync(path.join(dir, 'out-sharded'), { recursive: true });
  const x = await runCli(['run', job, '--parts', parts, '--export-only', '--db', path.join(dir, 'x.db')]);
  assert.equal(x.code, 0, x.stderr);
  assert.match(x.stdout, /dataset sst2-queue exported straight from 5 parts of job sst2-queue-[0-9a-f]{12} in /);
  assert.deepEqual(exportSha256(path.join(dir, 'out-sharded')), stored);
  assertSameExport(dir, 'plain', 'sharded');
  const none = await runCli(['datasets', 'list', '--db', path.join(dir, 'x.db'), '--json']);
  assert.ok(!none.stdout.includes('sst2-queue'), none.stdout);
  const shardX = await runCli(['run', job, '--shard', '0/2', '--parts', parts, '--export-only']);
  assert.notEqual(shardX.code, 0);
  assert.match(shardX.stderr, /--export-only finalizes parts: it needs --queue, or --parts DIR without --shard/);
  const bare = path.join(dir, 'no-targets.yaml');
  writeFileSync(bare, readFileSync(job, 'utf8').replace(/^export: .*$/m, ''));
  const noTargets = await runCli(['run', bare, '--parts', parts, '--export-only']);
  assert.notEqual(noTargets.code, 0);
  assert.match(noTargets.stderr, /has no export targets: --export-only would write nothing/);

  // a part whose bytes changed is refused with its path, before anything is merged
  const bad = path.join(dir, 'parts-bad');
  cpSync(parts, bad, { recursive: true });
  const victim = path.join(bad, readdirSync(bad).sort()[2]!);
  const bytes = readFileSync(victim);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  writeFileSync(victim, bytes);
  const refused = await merge('bad.db', bad);
  assert.notEqual(refused.code, 0);
  assert.ok(refused.stderr.includes(`part ${victim} is corrupt`), refused.stderr);
  const refusedX = await runCli(['run', job, '--parts', bad, '--export-only', '--db', path.join(dir, 'bad-x.db')]);
  assert.notEqual(refusedX.code, 0);
  assert.ok(refusedX.stderr.includes(`part ${victim} is corrupt`), refusedX.stderr);
});
