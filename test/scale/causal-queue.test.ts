/**
 * Causal-LM jobs on the queue, as real processes on models/demo-lm: `distillery run JOB --queue URL` with
 * two real `distillery worker` processes through a real redis-server labels the chunks into `.seqpart`
 * parts, finalize merges them into the coordinator's store, and the exports have the sha256 of a plain
 * `distillery run` of the job; rerunning the command attaches and computes nothing; `jobs status` and the
 * progress lines count the chunks, with a causal-LM chunk's rows as its examples; a `sequence.generate`
 * job is refused before anything is queued.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import {
  TEST_TIMEOUT_MS,
  doneChunks,
  doneLines,
  exportSha256,
  redisForTests,
  runCli,
  startTwoWorkers,
  stopWorker,
} from './helpers.ts';

const dir = tempDir('distillery-causal-queue-');
const CONFIG = path.join(REPO_ROOT, 'data', 'demo-lm.config.yaml');
const CHAT = path.join(REPO_ROOT, 'data', 'demo-chat.jsonl');
const FORMATS = ['parquet', 'safetensors', 'jsonl'];

const redis = redisForTests();

const cli = (...args: string[]) => runCli([...args, '--config', CONFIG]);

function writeJob(name: string, sequence: string, out: string): string {
  const file = path.join(dir, `${name}.yaml`);
  const exports = FORMATS.map((f) => `  - { format: ${f}, out: ${out}-${f} }`).join('\n');
  writeFileSync(
    file,
    `dataset: ${name}
corpus: { path: ${JSON.stringify(CHAT)} }
teachers: [demo-lm]
sequence: ${sequence}
chunkSize: 4
export:
${exports}
`,
  );
  return file;
}

/** the sha256 of the data files of the run's exports, `${out}-FORMAT` each */
const exportsOf = (out: string) => exportSha256(...FORMATS.map((f) => path.join(dir, `${out}-${f}`)));

interface Status {
  id: string;
  state: string;
  dataset: string;
  chunks: { total: number; done: number; failed: number };
  workers: { worker: string; chunks: number; examples: number }[];
}

test(
  'a causal-LM job on two queue workers exports the bytes of a plain run; the rerun attaches',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const seq = '{ topK: 16, samples: 8, scope: all }';
    const plain = await cli('run', writeJob('chat-lm', seq, 'plain'), '--db', path.join(dir, 'plain.db'));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /18 examples from 20 records/);

    const job = writeJob('chat-lm', seq, 'queued');
    const workers = startTwoWorkers(redis.url, dir, ['--config', CONFIG]);
    const coordDb = path.join(dir, 'coord.db');
    const run = (progress: string) => cli('run', job, '--db', coordDb, '--queue', redis.url, '--progress', progress);
    const queued = await run('json');
    assert.equal(queued.code, 0, queued.stderr);
    // 20 rows in chunks of 4, 2 of them refused by the teacher (as in the plain run)
    assert.match(
      queued.stdout,
      /dataset chat-lm done \(queued job chat-lm-[0-9a-f]{12}: 5 chunks on [12] workers\): 18 labelled rows of 20 \(2 refused\); teacher computed \d+/,
    );
    const want = exportsOf('plain');
    assert.equal(Object.keys(want).length, 3);
    assert.deepEqual(exportsOf('queued'), want);

    // the progress lines: the job's chunk counts as they changed, ending done with all 5
    const progress = queued.stderr
      .split('\n')
      .filter((l) => l.startsWith('{"type":"queue"'))
      .map((l) => JSON.parse(l) as Status);
    assert.ok(progress.length > 0, queued.stderr);
    assert.ok(
      progress.every((p) => p.dataset === 'chat-lm' && p.chunks.total === 5),
      queued.stderr,
    );
    const last = progress.at(-1)!;
    assert.deepEqual([last.state, last.chunks.total, last.chunks.done, last.chunks.failed], ['done', 5, 5, 0]);

    const id = last.id;
    const files = readdirSync(path.join(dir, 'parts', id));
    assert.equal(files.filter((f) => /^chunk-\d{6}\.[0-9a-f]{16}\.seqpart$/.test(f)).length, 5, files.join(' '));
    assert.deepEqual(doneChunks(workers), [0, 1, 2, 3, 4]);
    assert.ok(doneLines(workers).every((l) => l.job === id));
    const started = workers.map((w) => w.logs.filter((l) => l.event === 'chunk-start').length);

    // the same command attaches to the finished job: nothing queued, nothing labelled, the same exports
    const again = await run('none');
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /dataset chat-lm is up to date: 18 labelled rows of 20 \(2 refused\); nothing recomputed/,
    );
    assert.deepEqual(
      workers.map((w) => w.logs.filter((l) => l.event === 'chunk-start').length),
      started,
    );
    assert.deepEqual(exportsOf('queued'), want);

    const status = await runCli(['jobs', 'status', id, '--queue', redis.url, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as Status;
    assert.deepEqual(
      [s.state, s.dataset, s.chunks.total, s.chunks.done, s.chunks.failed],
      ['done', 'chat-lm', 5, 5, 0],
    );
    // a causal-LM chunk's rows count as its examples: every row once
    assert.equal(
      s.workers.reduce((n, w) => n + w.examples, 0),
      20,
    );
    const text = await runCli(['jobs', 'status', id, '--queue', redis.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(`${id}  done  dataset chat-lm  chunks: 5 done, 0 running, 0 waiting, 0 failed of 5`),
    );

    for (const w of workers) {
      const r = await stopWorker(w);
      assert.equal(r.code, 0, r.stderr);
    }
  },
);

test('a causal-LM job with sequence.generate is refused on the queue, and nothing is queued', async () => {
  const gen = writeJob('gen-lm', '{ topK: 8, generate: { n: 1, maxNewTokens: 4 } }', 'gen');
  const r = await cli('run', gen, '--db', path.join(dir, 'gen.db'), '--queue', redis.url);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--queue: a causal-LM job with sequence\.generate does not run on queue workers yet/);
  assert.match(r.stderr, /run it whole \(without --queue\)/);
  const listed = await runCli(['jobs', 'status', '--queue', redis.url, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(!listed.stdout.includes('gen-lm'), listed.stdout);
});
