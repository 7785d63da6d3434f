/**
 * `npm ci` on a fresh clone downloads nothing from outside the npm registry, and npm prints no warning about
 * the project's own config: onnxruntime-node's CUDA download is denied through package.json's allowScripts,
 * not through an .npmrc key npm does not know.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const REPO = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const json = (f: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(REPO, f), 'utf8'));

test('every dependency with an install script is reviewed in allowScripts; onnxruntime-node is denied', () => {
  const allow = json('package.json').allowScripts as Record<string, boolean>;
  const lock = json('package-lock.json').packages as Record<string, { hasInstallScript?: boolean }>;
  const withScripts = Object.entries(lock)
    .filter(([, p]) => p.hasInstallScript)
    .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length))
    .sort();
  assert.deepEqual(Object.keys(allow).sort(), withScripts, 'a new install script needs a decision here');
  assert.equal(allow['onnxruntime-node'], false);
});

test('npm reads the project config without warnings', async () => {
  // a clean environment: nothing inherited from the npm that may be running this test
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' };
  const { stdout, stderr } = await run('npm', ['pkg', 'get', 'name'], { cwd: REPO, env });
  assert.equal(JSON.parse(stdout), 'distillery');
  assert.doesNotMatch(stderr, /warn/i);
});
