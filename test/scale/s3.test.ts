/**
 * Corpus and parts on S3, against a real S3-protocol server in its own process (s3rver, over HTTP through
 * the AWS SDK) and a real redis-server: the queue with two workers and the queue-free shards give the
 * export bytes of a plain local run; a part written twice is one object with the same bytes; a corrupt part
 * object is named by the merge; a missing bucket, a missing key and an unreachable endpoint say so.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { configureS3 } from '../../src/storage/s3-settings.ts';
import { partsLocation, storePart } from '../../src/jobs/scale/parts-location.ts';
import { encodePart, type Part } from '../../src/jobs/scale/part-file.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startS3, type S3Server } from '../helpers/s3-server.ts';
import {
  TEST_TIMEOUT_MS,
  assertSameExport,
  doneChunks,
  redisForTests,
  runCli,
  runPlain,
  startTwoWorkers,
  stopWorker,
  writeCorpus,
  writeJob,
} from './helpers.ts';

const dir = tempDir('distillery-s3-');
const redis = redisForTests();
let s3: S3Server;
let client: S3Client;
let corpusFile: string;
const CORPUS = () => `s3://${s3.bucket}/corpora/sst2 part.jsonl`;

const keys = async (prefix: string): Promise<string[]> =>
  ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map(
    (o) => o.Key!,
  );
const object = async (key: string): Promise<Buffer> =>
  Buffer.from(
    await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray(),
  );

before(async () => {
  s3 = await startS3();
  // the CLI processes inherit these: the SDK's endpoint, region and credentials variables
  Object.assign(process.env, s3.env);
  configureS3({ endpoint: s3.endpoint });
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
  corpusFile = writeCorpus(dir, 120);
  await client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: 'corpora/sst2 part.jsonl', Body: readFileSync(corpusFile) }),
  );
  await runPlain(dir, corpusFile);
});
after(async () => {
  await s3?.stop();
});

test(
  'queue: corpus and parts on S3, two workers: the export of a plain local run',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const job = writeJob(dir, 'queued', CORPUS(), 20);
    const workers = startTwoWorkers(redis.url, dir);
    const started = performance.now();
    const coordinator = await runCli([
      'run',
      job,
      '--db',
      path.join(dir, 'coord.db'),
      '--queue',
      redis.url,
      '--parts',
      `s3://${s3.bucket}/parts/queued`,
      '--progress',
      'none',
    ]);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(coordinator.code, 0, coordinator.stderr);
    assert.match(
      coordinator.stdout,
      /dataset sst2-queue done \(queued job sst2-queue-[0-9a-f]{12}: 6 chunks on \d workers\)/,
    );
    assertSameExport(dir, 'plain', 'queued');
    assert.equal((await keys('parts/queued/')).filter((k) => k.endsWith('.part')).length, 6);
    // each worker read only its chunks' byte ranges: every chunk was done from a slice
    assert.deepEqual(doneChunks(workers), [0, 1, 2, 3, 4, 5]);
    for (const w of workers) assert.equal((await stopWorker(w)).code, 0);
    console.log(`# s3 queue run (coordinator, 120 records, 6 chunks, 2 workers): ${seconds.toFixed(1)} s`);
  },
);

test(
  'shards 0/2 and 1/2 write parts to S3; run --parts s3:// merges or exports the same bytes',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const job = writeJob(dir, 'sharded', CORPUS(), 20);
    const parts = `s3://${s3.bucket}/parts/sharded/`;
    for (const i of [0, 1]) {
      const r = await runCli([
        'run',
        job,
        '--shard',
        `${i}/2`,
        '--parts',
        parts,
        '--db',
        path.join(dir, `shard-${i}.db`),
        '--progress',
        'none',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /3 parts written, 0 already in s3:\/\/distillery\/parts\/sharded /);
    }
    const merged = await runCli(['run', job, '--parts', parts, '--db', path.join(dir, 'merge.db')]);
    assert.equal(merged.code, 0, merged.stderr);
    assertSameExport(dir, 'plain', 'sharded');
    const exported = await runCli(['run', job, '--parts', parts, '--export-only']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(
      exported.stdout,
      /exported straight from 6 parts of job sst2-queue-[0-9a-f]{12} in s3:\/\/distillery\/parts\/sharded/,
    );
    assertSameExport(dir, 'plain', 'sharded');

    // a corrupt part object is refused, named by its URL, and nothing is exported
    const victim = (await keys('parts/sharded/')).find((k) => k.includes('chunk-000002'))!;
    const bytes = await object(victim);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: victim, Body: bytes }));
    const refused = await runCli(['run', job, '--parts', parts, '--export-only']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`part s3://distillery/${victim.replace(/\./g, '\\.')} is corrupt`));
  },
);

test('a part written twice to S3 is one object with the same bytes', async () => {
  const part: Part = {
    header: {
      job: 'j',
      dataset: 'd',
      chunk: 7,
      records: 0,
      examples: [],
      counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
      opCounts: [],
      teachers: [],
    },
    blobs: [],
  };
  const loc = partsLocation(`s3://${s3.bucket}/parts/twice`);
  const a = await storePart(loc, part);
  const b = await storePart(loc, part);
  assert.deepEqual(a, b);
  assert.deepEqual(await keys('parts/twice/'), [`parts/twice/${a.name}`]);
  assert.ok((await object(`parts/twice/${a.name}`)).equals(encodePart(part)));
  assert.deepEqual(await loc.names(), [a.name]);
});

test(
  'a missing bucket, a missing key, an unreachable endpoint: a clear error naming the URL',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const run = (corpus: string, name: string) =>
      runCli(['run', writeJob(dir, name, corpus, 20), '--db', path.join(dir, `${name}.db`), '--progress', 'none']);
    const bucket = await run('s3://no-such-bucket/corpus.jsonl', 'nobucket');
    assert.notEqual(bucket.code, 0);
    assert.match(
      bucket.stderr,
      /cannot read s3:\/\/no-such-bucket\/corpus\.jsonl: bucket no-such-bucket does not exist at http:\/\/127\.0\.0\.1:\d+ \(create the bucket/,
    );
    const key = await run(`s3://${s3.bucket}/corpora/missing.jsonl`, 'nokey');
    assert.notEqual(key.code, 0);
    assert.match(key.stderr, /cannot read s3:\/\/distillery\/corpora\/missing\.jsonl: no such object \(check the key/);
    const parts = await runCli([
      'run',
      writeJob(dir, 'noparts', corpusFile, 20),
      '--parts',
      's3://no-such-bucket/parts',
      '--shard',
      '0/2',
      '--db',
      path.join(dir, 'noparts.db'),
    ]);
    assert.notEqual(parts.code, 0);
    assert.match(parts.stderr, /cannot list s3:\/\/no-such-bucket\/parts: bucket no-such-bucket does not exist/);
    const endpoint = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9';
    try {
      const down = await run(CORPUS(), 'down');
      assert.notEqual(down.code, 0);
      assert.match(
        down.stderr,
        /cannot read s3:\/\/distillery\/corpora\/sst2 part\.jsonl: S3 endpoint http:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\)/,
      );
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = endpoint;
    }
  },
);
