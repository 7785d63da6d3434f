/**
 * Other web sites cannot drive the keyless local server: writes take only application/json, foreign
 * Origins and Hosts (DNS rebinding) are refused, and a real cross-site page in Chromium gets nothing run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchChromium } from '../dashboard/browser.ts';
import { startTestService, type TestService } from './helpers.ts';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, so that Host and Origin are exactly what a browser or an attacker would send. */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const JOB = JSON.stringify({ dataset: 'evil', corpus: { path: 'ok.jsonl' }, teachers: ['tiny'] });

describe('cross-site requests to the keyless server', () => {
  let svc: TestService;
  let host: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'distillery-cross-site-'));
    // a corpus the attacker's job could run on
    writeFileSync(path.join(dir, 'ok.jsonl'), '{"text":"a fine film"}\n');
    // uploads would land in the first corpora folder
    svc = await startTestService({ corporaDirs: [dir] }, { dir });
    host = new URL(svc.url).host;
  });
  after(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const jobs = async () => ((await (await fetch(`${svc.url}/v1/jobs`)).json()) as { jobs: unknown[] }).jobs;

  test('a write that is not application/json is 415, whatever its body holds', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const headers: Record<string, string> = { host, ...(type ? { 'content-type': type } : {}) };
      const res = await raw(`${svc.url}/v1/jobs`, 'POST', headers, JOB);
      assert.equal(res.status, 415, `${type}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /problem\+json/);
      const upload = await raw(
        `${svc.url}/v1/corpora`,
        'POST',
        headers,
        JSON.stringify({ name: 'x.jsonl', content: '{"text":"a"}' }),
      );
      assert.equal(upload.status, 415);
    }
    assert.deepEqual(await jobs(), []);
    const uploads = path.join(svc.dir, 'uploads');
    assert.ok(!existsSync(uploads) || readdirSync(uploads).length === 0);
  });

  test('a foreign Origin, or a cross-site fetch, is 403; the same origin is served', async () => {
    const body = JSON.stringify({ inputs: ['fine'] });
    const json = { host, 'content-type': 'application/json' };
    const foreign = await raw(`${svc.url}/v1/soft-labels`, 'POST', { ...json, origin: 'http://evil.example' }, body);
    assert.equal(foreign.status, 403);
    const site = await raw(`${svc.url}/v1/soft-labels`, 'POST', { ...json, 'sec-fetch-site': 'cross-site' }, body);
    assert.equal(site.status, 403);
    const same = await raw(`${svc.url}/v1/soft-labels`, 'POST', { ...json, origin: `http://${host}` }, body);
    assert.equal(same.status, 200, same.body);
    // CORS stays off: a preflight is never approved
    const preflight = await raw(`${svc.url}/v1/jobs`, 'OPTIONS', {
      host,
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });

  test('only loopback Host values with the server port are answered (DNS rebinding)', async () => {
    const port = new URL(svc.url).port;
    for (const bad of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1:${Number(port) + 1}`,
      `localhost.evil:${port}`,
    ]) {
      const res = await raw(`${svc.url}/v1/datasets`, 'GET', { host: bad });
      assert.equal(res.status, 403, bad);
    }
    for (const good of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      const res = await raw(`${svc.url}/v1/datasets`, 'GET', { host: good });
      assert.equal(res.status, 200, good);
    }
  });

  test('a page on another origin in Chromium cannot start a job or upload a corpus', async () => {
    // the attacker's page: another port is another origin
    const attack = `<script>
      const json = ${JSON.stringify(JOB)};
      window.done = Promise.allSettled([
        fetch('${svc.url}/v1/jobs', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: json }),
        fetch('${svc.url}/v1/jobs', { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ a: json }) }),
        fetch('${svc.url}/v1/corpora', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ name: 'pwn.jsonl', content: '{"text":"x"}' }) }),
        fetch('${svc.url}/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: json }),
      ]).then((r) => r.map((x) => x.status));
    </script>`;
    const evil: Server = createServer((_req, res) => res.setHeader('content-type', 'text/html').end(attack));
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      await page.evaluate(() => (window as unknown as { done: Promise<unknown> }).done);
      assert.deepEqual(await jobs(), []);
      assert.ok(!existsSync(path.join(svc.dir, 'uploads', 'pwn.jsonl')));
    } finally {
      await browser.close();
      evil.close();
    }
  });
});
