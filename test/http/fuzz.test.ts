/**
 * Fuzzing over real HTTP: bodies generated from the schemas the server validates with (its own
 * /openapi.json, built from the zod schemas), mutated in type, size, encoding, nesting and unicode, plus
 * raw byte-level junk and odd path and query parameters. Fails on any 5xx, any dropped connection, any
 * error that is not problem+json, and a /healthz that stops answering promptly.
 *
 * CI runs FUZZ_REQUESTS (1,500) requests; `DISTILLERY_FUZZ=long` runs 20,000, and DISTILLERY_FUZZ_SEED
 * replays a run (the seed is printed on failure).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { BodyGenerator, type Schema } from './fuzz/generate.ts';
import { startTestService, type TestService } from './helpers.ts';

const LONG = process.env.DISTILLERY_FUZZ === 'long';
const FUZZ_REQUESTS = LONG ? 20_000 : 1_500;
const SEED = process.env.DISTILLERY_FUZZ_SEED ?? String(Date.now() % 1_000_000);
/** Not a latency target (that is bench/healthz-under-load.ts): a server whose event loop is stuck misses it. */
const HEALTHZ_BUDGET_MS = 2_000;
const CONCURRENCY = 4;

interface Answer {
  status: number;
  type: string;
  retryAfter?: string;
}

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY + 1 });

function send(base: string, r: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(base + r.path, { method: r.method, headers: r.headers, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          type: String(res.headers['content-type'] ?? ''),
          ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Bytes no JSON encoder would write. */
function junk(rng: SeededRng, valid: string): Req['body'] {
  switch (rng.int(7)) {
    case 0:
      return Buffer.from(valid.slice(0, Math.max(1, rng.int(valid.length))));
    case 1:
      return Buffer.concat([Buffer.from(valid.slice(0, 10)), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
    case 2:
      return Buffer.from('{"inputs": [NaN, Infinity, 1e999]}');
    case 3:
      return Buffer.from(`\ufeff${valid}`);
    case 4:
      return Buffer.from(`{"a":1,"a":2,"__proto__":{"x":1},${valid.slice(1)}`);
    case 5:
      return Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    default:
      return Buffer.from(`"${'\\ud800'.repeat(50)}"`);
  }
}

describe('fuzzing the API over HTTP', () => {
  let svc: TestService;
  let dir: string;
  let bodies: { path: string; schema: Schema }[];
  let gets: string[];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'distillery-fuzz-'));
    writeFileSync(path.join(dir, 'ok.jsonl'), '{"text":"a fine film"}\n{"text":"a dull film"}\n{"text":"warm"}\n');
    svc = await startTestService({ corporaDirs: [dir], lexicons: {} }, { dir });
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
    };
    bodies = [];
    gets = [];
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(methods)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        if (m === 'post' && schema) bodies.push({ path: p, schema });
        if (m === 'get' || m === 'delete') gets.push(`${m.toUpperCase()} ${p}`);
      }
    }
    assert.ok(bodies.length >= 4, 'the API documents its request bodies');
  });
  after(async () => {
    agent.destroy();
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${FUZZ_REQUESTS} generated and mutated requests: no 5xx, no dropped connection, /healthz answers`, async () => {
    const rng = new SeededRng(`fuzz-${SEED}`);
    const odd = ['%ff%fe', '%E0%A4%A', 'x'.repeat(300), '..%2F..%2Fetc', '%00', 'ok', 'tiny', '🎬', '%2e%2e', 'a%20b'];
    const next = (): Req => {
      const roll = rng.next();
      if (roll < 0.15) {
        const [method, route] = rng.pick(gets).split(' ') as [string, string];
        let p = route.replace(/\{[^}]+\}/g, () => rng.pick(odd));
        if (rng.next() < 0.5)
          p += `?format=${rng.pick(['jsonl', 'parquet', 'x', ''])}&temperatures=${encodeURIComponent(rng.pick(['1,2', '1e-320', '0', '1,1,1', 'a', '99999']))}&offset=${rng.pick(['1', '-1', '1e99', 'x'])}`;
        return { method, path: p, headers: {} };
      }
      const target = rng.pick(bodies);
      const gen = new BodyGenerator(target.schema, rng);
      const valid = gen.valid(target.schema);
      const text = JSON.stringify(roll < 0.4 ? valid : gen.mutate(valid)) ?? 'null';
      if (roll < 0.85) return { method: 'POST', path: target.path, headers: JSON_HEADERS, body: Buffer.from(text) };
      switch (rng.int(3)) {
        case 0:
          return { method: 'POST', path: target.path, headers: JSON_HEADERS, body: junk(rng, text) };
        case 1:
          return {
            method: 'POST',
            path: target.path,
            headers: { ...JSON_HEADERS, 'content-encoding': rng.pick(['gzip', 'br', 'deflate', 'zstd']) },
            body: rng.next() < 0.5 ? Buffer.from(text) : gzipSync(text),
          };
        default:
          return {
            method: 'POST',
            path: target.path,
            headers: {
              'content-type': rng.pick([
                'text/plain',
                'application/json; charset=latin1',
                'application/x-www-form-urlencoded',
              ]),
            },
            body: Buffer.from(text),
          };
      }
    };

    const counts = new Map<number, number>();
    const failures: string[] = [];
    let sent = 0;
    let slowest = 0;
    const worker = async () => {
      while (sent < FUZZ_REQUESTS && failures.length === 0) {
        const r = next();
        sent++;
        const label = `${r.method} ${r.path.slice(0, 80)} ${r.body?.subarray(0, 160).toString('utf8') ?? ''}`;
        try {
          const a = await send(svc.url, r);
          counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
          if (a.status >= 500) failures.push(`${a.status} for ${label}`);
          else if (a.status >= 400 && !a.type.startsWith('application/problem+json'))
            failures.push(`${a.status} without problem+json for ${label}`);
        } catch (err) {
          failures.push(`dropped connection (${(err as Error).message}) for ${label}`);
        }
        if (sent % 50 === 0) {
          const t0 = performance.now();
          const h = await send(svc.url, { method: 'GET', path: '/healthz', headers: {} });
          const ms = performance.now() - t0;
          slowest = Math.max(slowest, ms);
          if (h.status !== 200 || ms > HEALTHZ_BUDGET_MS)
            failures.push(`/healthz: ${h.status} after ${ms.toFixed(0)} ms`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const summary = `seed ${SEED}: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries(counts))}, slowest /healthz ${slowest.toFixed(0)} ms`;
    assert.deepEqual(failures.slice(0, 5), [], summary);
    // the mix reached past validation too, not only 4xx
    assert.ok((counts.get(200) ?? 0) + (counts.get(201) ?? 0) + (counts.get(202) ?? 0) > sent / 20, summary);
  });
});
