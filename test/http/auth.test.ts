import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { refuseOpenRemote } from '../../src/http/open-remote.ts';
import { startService } from '../../src/service.ts';
import { post, problemOf, startTestService } from './helpers.ts';

const KEY = 'k-0123456789abcdef0123';

test('with API keys: 401 without or with a wrong token, 200 with a right one; probes stay open', async () => {
  const svc = await startTestService({ apiKeys: [KEY, 'k-second-key-abcdefghij'] });
  try {
    const none = await post(`${svc.url}/v1/soft-labels`, { inputs: ['a'] });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.match((await problemOf(none)).detail, /bearer token/);
    const wrong = await post(`${svc.url}/v1/soft-labels`, { inputs: ['a'] }, { authorization: 'Bearer not-the-key' });
    assert.equal(wrong.status, 401);
    await problemOf(wrong);
    const right = await post(`${svc.url}/v1/soft-labels`, { inputs: ['a'] }, { authorization: `Bearer ${KEY}` });
    assert.equal(right.status, 200);
    assert.equal((await fetch(`${svc.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  } finally {
    await svc.close();
  }
});

test('without API keys: open on loopback', async () => {
  const svc = await startTestService();
  try {
    assert.equal((await post(`${svc.url}/v1/soft-labels`, { inputs: ['a'] })).status, 200);
    assert.equal((await fetch(`${svc.url}/v1/teachers`)).status, 200);
  } finally {
    await svc.close();
  }
});

test('a non-loopback host without API keys is refused by the service, naming the way out; other commands load it', async () => {
  // `worker`, `run`: one image sets DISTILLERY_HOST=0.0.0.0 for the service, and these listen nowhere
  const open = loadConfig({ host: '0.0.0.0' }, {});
  assert.equal(open.host, '0.0.0.0');
  await assert.rejects(startService(open), /non-loopback host 0\.0\.0\.0 without API keys/);
  assert.throws(
    () => refuseOpenRemote(loadConfig({ host: '0.0.0.0' }, {})),
    (e: Error & { hint?: string }) => {
      assert.match(e.message, /non-loopback host 0\.0\.0\.0 without API keys/);
      assert.match(e.hint ?? '', /allowInsecureRemote: true/);
      assert.match(e.hint ?? '', /DISTILLERY_API_KEYS/);
      return true;
    },
  );
  assert.equal(loadConfig({ host: '0.0.0.0' }, { DISTILLERY_API_KEYS: KEY }).host, '0.0.0.0');
  assert.equal(loadConfig({ host: '0.0.0.0', patch: { allowInsecureRemote: true } }, {}).allowInsecureRemote, true);
  assert.equal(loadConfig({ host: '127.0.0.2' }, {}).host, '127.0.0.2');
  assert.equal(loadConfig({ host: '::1' }, {}).host, '::1');
});
