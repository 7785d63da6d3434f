/**
 * A job submitted over HTTP must not make the server read whatever s3:// object a request names with the
 * server's credentials: refused (422) unless the config lists the prefix in s3.httpCorpora, and then
 * only objects under it, without `.`/`..`/empty key segments.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateJobRequest } from '../../src/http/job-request.ts';
import { post, startTestService, type TestService } from './helpers.ts';

const job = (corpus: string) => ({
  dataset: 'remote',
  corpus: { path: corpus },
  teachers: ['tiny'],
  outputs: { temperatures: [1] },
});

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => {
  await svc.close();
});

test('POST /v1/jobs refuses an s3:// corpus on a server that lists no prefix', async () => {
  const res = await post(`${svc.url}/v1/jobs`, job('s3://any-bucket/secret/corpus.jsonl'));
  assert.equal(res.status, 422);
  const body = (await res.json()) as { detail?: string; title?: string; hint?: string };
  assert.match(JSON.stringify(body), /s3:\/\/ corpora are not accepted over HTTP on this server/);
});

test('with s3.httpCorpora, only objects under a listed prefix pass, and no dot segments', () => {
  const rules = { corporaDirs: ['/nonexistent'], modelsDir: '/nonexistent', s3Corpora: ['s3://shared-data/corpora/'] };
  const ok = validateJobRequest(job('s3://shared-data/corpora/sst2/dev.jsonl'), rules);
  assert.equal(ok.corpus.path, 's3://shared-data/corpora/sst2/dev.jsonl');
  for (const bad of [
    's3://shared-data/corpora-private/x.jsonl',
    's3://shared-data/other/x.jsonl',
    's3://other-bucket/corpora/x.jsonl',
    's3://shared-data/corpora/../private/x.jsonl',
    's3://shared-data/corpora//x.jsonl',
  ])
    assert.throws(
      () => validateJobRequest(job(bad), rules),
      (e: Error & { status?: number }) => /must be under s3:\/\/shared-data\/corpora\//.test(e.message),
      bad,
    );
});
