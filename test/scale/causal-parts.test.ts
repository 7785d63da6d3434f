/**
 * The queue-free path for causal-LM jobs, as real processes on models/demo-lm: `run --shard i/n --parts DIR`
 * writes the sequence parts of the chunks each shard owns, `run --parts DIR` checks them (missing, corrupt
 * and conflicting parts named), merges them and exports the same bytes (sha256) as a plain `distillery run`
 * of the job; generate jobs and --export-only are refused for parts and on the queue (test/scale/causal-queue.test.ts
 * runs causal-LM jobs on queue workers).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { runCli } from '../jobs/helpers/cli.ts';
import { exportSha256 } from './helpers.ts';

const dir = tempDir('distillery-causal-parts-');
const CONFIG = path.join(REPO_ROOT, 'data', 'demo-lm.config.yaml');
const CHAT = path.join(REPO_ROOT, 'data', 'demo-chat.jsonl');
const SST2 = path.join(REPO_ROOT, '..', 'shared', 'data', 'corpora', 'sst2', 'dev.jsonl');

const cli = (...args: string[]) => runCli([...args, '--config', CONFIG]);

function writeJob(name: string, corpus: string, body: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: ${name}
corpus: { path: ${JSON.stringify(corpus)} }
teachers: [demo-lm]
${body}
`,
  );
  return file;
}

const partEvents = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; chunk: number; part: string; rows: number });

test('causal-LM shards write parts; merging them exports the bytes of a plain run', async () => {
  const job = (name: string) =>
    writeJob(
      'chat-lm',
      CHAT,
      `sequence: { topK: 16, samples: 8, scope: all }
chunkSize: 4
export:
  - { format: parquet, out: ${name}-parquet }
  - { format: safetensors, out: ${name}-safetensors }
  - { format: jsonl, out: ${name}-jsonl }`,
    );
  const outs = (name: string) => ['parquet', 'safetensors', 'jsonl'].map((f) => path.join(dir, `${name}-${f}`));
  const plain = await cli('run', job('plain'), '--db', path.join(dir, 'plain.db'), '--progress', 'none');
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /18 examples from 20 records/);

  const file = job('merged');
  const parts = path.join(dir, 'chat-parts');
  const shard = (i: number) =>
    cli(
      'run',
      file,
      '--shard',
      `${i}/2`,
      '--parts',
      parts,
      '--db',
      path.join(dir, `chat-shard-${i}.db`),
      '--progress',
      'json',
    );
  const merge = (db: string, from = parts) => cli('run', file, '--parts', from, '--db', path.join(dir, db));

  // 20 rows in chunks of 4: shard 0 of 2 owns chunks 0, 2, 4
  const s0 = await shard(0);
  assert.equal(s0.code, 0, s0.stderr);
  assert.match(s0.stdout, /shard 0\/2 of job chat-lm-[0-9a-f]{12}: 3 parts written, 0 already in/);
  const written = partEvents(s0.stderr);
  assert.deepEqual(
    written.map((e) => [e.chunk, e.rows]),
    [
      [0, 4],
      [2, 4],
      [4, 4],
    ],
  );
  assert.deepEqual(readdirSync(parts).sort(), written.map((e) => e.part).sort());

  // merging before shard 1 ran names the missing chunks and stores nothing
  const early = await merge('chat-final.db');
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /2 of 5 chunks of job chat-lm-[0-9a-f]{12} have no part in .*: chunk 1, 3/);
  assert.match(early.stderr, /shard k mod n/);
  const listed = await cli('datasets', 'list', '--db', path.join(dir, 'chat-final.db'), '--json');
  assert.ok(!listed.stdout.includes('chat-lm'), listed.stdout);

  const s1 = await shard(1);
  assert.equal(s1.code, 0, s1.stderr);
  assert.match(s1.stdout, /2 parts written, 0 already in/);
  // a restarted shard finds its parts and labels nothing again
  const again = await shard(0);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 parts written, 3 already in/);
  assert.equal(readdirSync(parts).length, 5);
  // parts are named by their content: the same shard on a fresh store writes the same files
  const elsewhere = path.join(dir, 'chat-parts-again');
  const fresh = await cli('run', file, '--shard', '0/2', '--parts', elsewhere, '--db', path.join(dir, 'chat-fresh.db'));
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.deepEqual(readdirSync(elsewhere).sort(), written.map((e) => e.part).sort());

  const merged = await merge('chat-final.db');
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(
    merged.stdout,
    /merged 5 causal-LM parts of job chat-lm-[0-9a-f]{12} .*: 18 labelled rows of 20 \(2 refused\)/,
  );
  const want = exportSha256(...outs('plain'));
  assert.equal(Object.keys(want).length, 3);
  assert.deepEqual(exportSha256(...outs('merged')), want);
  const upToDate = await merge('chat-final.db');
  assert.equal(upToDate.code, 0, upToDate.stderr);
  assert.match(upToDate.stdout, /is up to date: 18 labelled rows of 20/);

  // a part whose bytes no longer match its name is refused, naming the file
  const corrupt = path.join(dir, 'chat-parts-corrupt');
  cpSync(parts, corrupt, { recursive: true });
  const victim = readdirSync(corrupt).sort()[3]!;
  const bytes = readFileSync(path.join(corrupt, victim));
  bytes[bytes.length - 1]! ^= 0xff;
  writeFileSync(path.join(corrupt, victim), bytes);
  const bad = await merge('chat-corrupt.db', corrupt);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, new RegExp(`part .*${victim.replace(/\./g, '\\.')} is corrupt`));

  // two different parts for one chunk (shards with other model files) are named, not merged
  const twins = path.join(dir, 'chat-parts-twins');
  cpSync(parts, twins, { recursive: true });
  const first = readdirSync(twins).sort()[0]!;
  const other = readFileSync(path.join(twins, first));
  other[other.length - 1]! ^= 0xff;
  const sha = createHash('sha256').update(other).digest('hex');
  writeFileSync(path.join(twins, `chunk-000000.${sha.slice(0, 16)}.seqpart`), other);
  const conflict = await merge('chat-twins.db', twins);
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /holds two different parts of job chat-lm-[0-9a-f]{12} for chunk 0/);
});

test('a public corpus (SST-2 dev, 872 rows) in 2 shards: the merged export equals the plain run', async () => {
  const job = (name: string) =>
    writeJob(
      'sst2-lm',
      SST2,
      `sequence: { topK: 8 }\nchunkSize: 100\nexport: [{ format: parquet, out: ${name}-parquet }]`,
    );
  const plain = await cli('run', job('sst-plain'), '--db', path.join(dir, 'sst-plain.db'), '--progress', 'none');
  assert.equal(plain.code, 0, plain.stderr);
  const file = job('sst-merged');
  const parts = path.join(dir, 'sst-parts');
  for (const i of [1, 0]) {
    const s = await cli('run', file, '--shard', `${i}/2`, '--parts', parts, '--db', path.join(dir, `sst-${i}.db`));
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, new RegExp(`shard ${i}/2 .*: ${i === 0 ? 5 : 4} parts written`));
  }
  const merged = await cli('run', file, '--parts', parts, '--db', path.join(dir, 'sst-final.db'));
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, /872 labelled rows of 872/);
  const want = exportSha256(path.join(dir, 'sst-plain-parquet'));
  assert.equal(Object.keys(want).length, 1);
  assert.deepEqual(exportSha256(path.join(dir, 'sst-merged-parquet')), want);
});

test('parts and the queue refuse generate jobs and --export-only', async () => {
  const gen = writeJob(
    'gen-lm',
    CHAT,
    'sequence: { topK: 8, generate: { n: 1, maxNewTokens: 4 } }\nexport: [{ format: jsonl, out: gen-out }]',
  );
  const g = await cli(
    'run',
    gen,
    '--shard',
    '0/2',
    '--parts',
    path.join(dir, 'gen-parts'),
    '--db',
    path.join(dir, 'g.db'),
  );
  assert.notEqual(g.code, 0);
  assert.match(g.stderr, /sequence\.generate cannot be split into parts yet/);

  const plain = writeJob('plain-lm', CHAT, 'sequence: { topK: 8 }\nexport: [{ format: jsonl, out: plain-lm-out }]');
  const e = await cli('run', plain, '--parts', path.join(dir, 'none'), '--export-only', '--db', path.join(dir, 'e.db'));
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /--export-only: causal-LM parts are merged into the store/);

  // refused before Redis is asked anything (nothing listens on port 1)
  const q = await cli('run', gen, '--queue', 'redis://127.0.0.1:1', '--db', path.join(dir, 'q.db'));
  assert.notEqual(q.code, 0);
  assert.match(q.stderr, /--queue: a causal-LM job with sequence\.generate does not run on queue workers yet/);
  const qx = await cli('run', plain, '--queue', 'redis://127.0.0.1:1', '--export-only', '--db', path.join(dir, 'q.db'));
  assert.notEqual(qx.code, 0);
  assert.match(qx.stderr, /--export-only: causal-LM parts are merged into the store/);

  const s = await cli('run', plain, '--shard', '0/2', '--db', path.join(dir, 's.db'));
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /shard: a causal-LM job is split into parts.*--shard i\/n --parts DIR/);
});
