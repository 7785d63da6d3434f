/** The Docker HEALTHCHECK script: it probes the port the config file sets, through the real script. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { healthzUrl } from '../../src/http/healthcheck.ts';
import { startTestService } from './helpers.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Runs the script as the Dockerfile does, with only the config file to go by (no DISTILLERY_PORT). */
async function healthcheck(configFile: string): Promise<number> {
  const env = { PATH: process.env.PATH!, DISTILLERY_CONFIG: configFile };
  try {
    await run(process.execPath, ['--import', 'tsx', 'src/http/healthcheck.ts'], { cwd: REPO, env });
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

test('the healthcheck probes the port set in the config file: healthy while the service runs, not after', async () => {
  const svc = await startTestService();
  const port = Number(new URL(svc.url).port);
  assert.notEqual(port, 8080, 'a port other than the default, so the config file is what decides');
  const configFile = path.join(svc.dir, 'config.yaml');
  writeFileSync(configFile, `port: ${port}\n`);
  try {
    assert.equal(await healthcheck(configFile), 0);
  } finally {
    await svc.close();
  }
  assert.equal(await healthcheck(configFile), 1, 'nothing listens there any more');
});

test('the Dockerfile HEALTHCHECK runs that script, and a wildcard bind address is probed through loopback', () => {
  const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /HEALTHCHECK[^\n]*\\\n\s+CMD \["node", "--import", "tsx", "src\/http\/healthcheck\.ts"\]/);
  assert.equal(healthzUrl({ host: '0.0.0.0', port: 9000 }), 'http://127.0.0.1:9000/healthz');
  assert.equal(healthzUrl({ host: '::', port: 9000 }), 'http://[::1]:9000/healthz');
  assert.equal(healthzUrl({ host: '10.1.2.3', port: 81 }), 'http://10.1.2.3:81/healthz');
});

test('.dockerignore leaves out what a running service writes', () => {
  const lines = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['data/*.db*', 'data/exports/', 'data/uploads/']) assert.ok(lines.includes(p), p);
});
