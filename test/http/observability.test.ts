import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post, startTestService, type TestService } from './helpers.ts';

describe('metrics, OpenAPI, teachers, probes', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ limits: { maxTextsPerRequest: 5, maxCharsPerText: 123 } });
  });
  after(() => svc.close());

  test('/openapi.json is generated from the validating schemas (configured limits included)', async () => {
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: {
                'application/json': {
                  schema: {
                    properties: Record<string, { maxItems?: number; items?: { anyOf: { maxLength?: number }[] } }>;
                  };
                };
              };
            };
            responses: Record<string, unknown>;
          }
        >
      >;
    };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of [
      '/v1/soft-labels',
      '/v1/teachers',
      '/v1/datasets',
      '/v1/datasets/{id}',
      '/healthz',
      '/readyz',
      '/metrics',
    ])
      assert.ok(doc.paths[p], p);
    const post = doc.paths['/v1/soft-labels']!.post!;
    const inputs = post.requestBody!.content['application/json'].schema.properties.inputs!;
    assert.equal(inputs.maxItems, 5);
    assert.equal(inputs.items!.anyOf[0]!.maxLength, 123);
    for (const s of ['400', '413', '422', '429', '503']) assert.ok(post.responses[s], `documents ${s}`);
  });

  test('/metrics: request counts and latency by route and status, queue depth, batch sizes, tokens/s, cache hit ratio', async () => {
    await post(`${svc.url}/v1/soft-labels`, { inputs: ['one', 'two'] });
    await post(`${svc.url}/v1/soft-labels`, { inputs: ['one'] });
    await post(`${svc.url}/v1/soft-labels`, { inputs: [] });
    await post(`${svc.url}/v1/soft-labels`, '{not json');
    const res = await fetch(`${svc.url}/metrics`);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^distillery_http_requests_total\{route="\/v1\/soft-labels",method="POST",status="200"\} 2$/m);
    assert.match(text, /^distillery_http_requests_total\{route="\/v1\/soft-labels",method="POST",status="422"\} 1$/m);
    assert.match(text, /^distillery_http_requests_total\{route="\/v1\/soft-labels",method="POST",status="400"\} 1$/m);
    assert.match(
      text,
      /^distillery_http_request_duration_seconds_bucket\{route="\/v1\/soft-labels",method="POST",status="200",le="\+Inf"\} 2$/m,
    );
    assert.match(text, /^distillery_queue_depth\{teacher="tiny"\} 0$/m);
    assert.match(text, /^distillery_teacher_batch_texts_sum\{teacher="tiny"\} 2$/m);
    assert.match(text, /^distillery_teacher_tokens_per_second\{teacher="tiny"\} \d/m);
    // 3 texts looked up: 'one' twice (second time a hit), 'two' once
    assert.match(text, /^distillery_cache_hit_ratio\{teacher="tiny"\} 0\.333/m);
    // every sample line is NAME{labels} VALUE or NAME VALUE
    for (const line of text.trim().split('\n')) {
      if (!line.startsWith('#')) assert.match(line, /^[a-z_]+(\{[^}]*\})? [-+0-9.eInfNa]+$/, line);
    }
  });

  test('/v1/teachers lists the registry; /healthz and /readyz answer', async () => {
    const t = (await (await fetch(`${svc.url}/v1/teachers`)).json()) as {
      default: string;
      teachers: { name: string; state: string; info?: { fingerprint: string } }[];
    };
    assert.equal(t.default, 'tiny');
    assert.equal(t.teachers[0]!.name, 'tiny');
    assert.match(t.teachers[0]!.info!.fingerprint, /^[0-9a-f]{64}$/);
    assert.deepEqual(await (await fetch(`${svc.url}/healthz`)).json(), { status: 'ok' });
    const ready = (await (await fetch(`${svc.url}/readyz`)).json()) as { status: string };
    assert.equal(ready.status, 'ready');
  });
});
