import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig, REPO_ROOT } from '../src/config.ts';

test('embedded defaults: loopback 8080, data/distillery.db, the demo teacher, frozen', () => {
  const c = loadConfig({}, {});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.db, path.join(REPO_ROOT, 'data', 'distillery.db'));
  assert.equal(c.sharedDir, path.resolve(REPO_ROOT, '../shared'));
  assert.deepEqual(
    c.teachers.map((t) => [t.name, t.path, t.dtype, t.device]),
    [['demo', path.join(REPO_ROOT, 'models', 'demo-sentiment'), 'fp32', 'cpu']],
  );
  assert.equal(c.batching.maxWaitMs, 5);
  assert.equal(Object.isFrozen(c), true);
  assert.equal(Object.isFrozen(c.teachers[0]), true);
  assert.throws(() => {
    (c as { port: number }).port = 1;
  }, TypeError);
});

test('precedence: file < environment < flags; file paths resolve against the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-config-'));
  try {
    const file = path.join(dir, 'c.yaml');
    writeFileSync(
      file,
      'port: 9000\nhost: 127.0.0.1\ndb: ./x.db\nteachers:\n  - name: t1\n    path: ./m\n    device: auto\nlimits:\n  maxTextsPerRequest: 7\n',
    );
    const fromFile = loadConfig({ configFile: file }, {});
    assert.equal(fromFile.port, 9000);
    assert.equal(fromFile.db, path.join(dir, 'x.db'));
    assert.equal(fromFile.teachers[0]!.path, path.join(dir, 'm'));
    assert.equal(fromFile.teachers[0]!.device, 'auto');
    assert.equal(fromFile.limits.maxTextsPerRequest, 7);
    assert.equal(fromFile.limits.queueBound, 1024, 'unspecified nested fields keep their defaults');
    const env = { DISTILLERY_CONFIG: file, DISTILLERY_PORT: '9100', DISTILLERY_LOG_LEVEL: 'warn' };
    assert.equal(loadConfig({}, env).port, 9100);
    assert.equal(loadConfig({}, env).logLevel, 'warn');
    assert.equal(loadConfig({ port: 9200 }, env).port, 9200);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid values are refused with the field named', () => {
  assert.throws(() => loadConfig({}, { DISTILLERY_PORT: 'eighty' }), /DISTILLERY_PORT must be a number/);
  assert.throws(() => loadConfig({ port: 70000 }, {}), /port:/);
  assert.throws(
    () => loadConfig({ patch: { teachers: [{ name: 'x' }] } }, {}),
    /teachers\.0: give exactly one of `path` or `hubId`/,
  );
  assert.throws(
    () => loadConfig({ patch: { teachers: [{ name: 'x', path: '/m', device: 'tpu' }] } }, {}),
    /teachers\.0\.device/,
  );
  assert.throws(
    () =>
      loadConfig(
        {
          patch: {
            teachers: [
              { name: 'x', path: '/a' },
              { name: 'x', path: '/b' },
            ],
          },
        },
        {},
      ),
    /configured twice/,
  );
  assert.throws(() => loadConfig({ patch: { defaultTeacher: 'y' } }, {}), /defaultTeacher "y"/);
  assert.throws(() => loadConfig({ patch: { bogus: 1 } }, {}), /Unrecognized key.*bogus/);
  assert.throws(
    () => loadConfig({}, { DISTILLERY_API_KEYS: 'short' }),
    /apiKeys\.0: API keys must be at least 16 characters/,
  );
  assert.throws(() => loadConfig({}, { DISTILLERY_ALLOW_REMOTE_MODELS: 'maybe' }), /true or false/);
});
