/**
 * A store with pages overwritten in the middle is said plainly everywhere: `distillery run` no longer
 * calls it up to date, `store check` fails, /readyz fails with the reason, routes that read the damage
 * answer 503 problem+json saying how to recover, and `store recover` saves the readable rows to a file
 * that checks clean and serves again.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { startTestService, TINY_TEACHER } from '../http/helpers.ts';
import { runCli } from '../jobs/helpers/cli.ts';

const PAGE = 16384;
const WORDS = ['good', 'bad', 'film', 'plot', 'actors', 'music', 'long', 'short', 'funny', 'dull', 'warm', 'cold'];

describe('a damaged store', () => {
  let dir: string;
  let db: string;
  let args: string[];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'distillery-damaged-'));
    db = path.join(dir, 'store.db');
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({
        text: `${i} the ${WORDS[i % 12]} ${WORDS[(i * 7) % 12]} was ${WORDS[(i * 5) % 12]} and ${WORDS[(i * 3) % 12]} ${'x'.repeat(i % 80)}`,
        label: i % 2,
      }),
    );
    writeFileSync(path.join(dir, 'corpus.jsonl'), `${lines.join('\n')}\n`);
    writeFileSync(path.join(dir, 'config.yaml'), stringify({ teachers: [TINY_TEACHER], logLevel: 'silent' }));
    writeFileSync(
      path.join(dir, 'job.yaml'),
      stringify({ dataset: 'reviews', corpus: { path: 'corpus.jsonl' }, teachers: ['tiny'], chunkSize: 500 }),
    );
    args = ['--db', db, '--config', path.join(dir, 'config.yaml')];
    const first = await runCli(['run', path.join(dir, 'job.yaml'), ...args, '--progress', 'none']);
    assert.equal(first.code, 0, first.stderr);
    // overwrite the middle fifth of the pages, as a bad disk or a stray writer would
    const pages = statSync(db).size / PAGE;
    assert.ok(pages >= 10, `the store has ${pages} pages`);
    const fd = openSync(db, 'r+');
    for (let p = Math.floor(pages * 0.4); p < Math.floor(pages * 0.6); p++)
      writeSync(fd, Buffer.alloc(PAGE, 0xab), 0, PAGE, p * PAGE);
    closeSync(fd);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('`distillery run` does not call it up to date, and says how to recover', async () => {
    const r = await runCli(['run', path.join(dir, 'job.yaml'), ...args, '--progress', 'none']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /up to date/);
    assert.match(r.stderr, /damaged/);
    assert.match(r.stderr, /distillery store recover/);
  });

  test('`distillery store check` fails and names the damage', async () => {
    const r = await runCli(['store', 'check', ...args]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /damaged/);
  });

  test('/readyz fails with the reason; a route reading the damage is 503 saying how to recover', async () => {
    const damaged = await startTestService({ db }, { dir });
    try {
      const ready = await fetch(`${damaged.url}/readyz`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { checks: { database: { ok: boolean; detail: string } } };
      assert.equal(body.checks.database.ok, false);
      assert.match(body.checks.database.detail, /damaged/);
      const statuses = [];
      for (const p of [
        '/v1/datasets/reviews',
        '/v1/datasets/reviews/export?format=jsonl',
        '/v1/datasets/reviews/report',
      ]) {
        const res = await fetch(`${damaged.url}${p}`);
        statuses.push(res.status);
        if (res.status === 503) {
          const problem = (await res.json()) as { code: string; hint: string; detail: string };
          assert.equal(problem.code, 'STORE_DAMAGED');
          assert.match(problem.hint, /distillery store check/);
          assert.ok(!problem.hint.includes(dir), 'no server path in the hint');
        } else await res.arrayBuffer();
        assert.notEqual(res.status, 500, p);
      }
      assert.ok(statuses.includes(503), JSON.stringify(statuses));
    } finally {
      await damaged.close();
    }
  });

  test('`distillery store recover` copies the readable rows into a store that checks clean', async () => {
    const out = path.join(dir, 'recovered.db');
    const r = await runCli(['store', 'recover', ...args, '--out', out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /examples\s+\d+ rows copied/);
    const copied = Number(/examples\s+(\d+) rows copied/.exec(r.stdout)![1]);
    assert.ok(copied > 0 && copied < 1500, r.stdout);
    const check = await runCli(['store', 'check', '--db', out, '--config', path.join(dir, 'config.yaml')]);
    assert.equal(check.code, 0, check.stdout);
    const again = await runCli(['store', 'recover', ...args, '--out', out]);
    assert.notEqual(again.code, 0, 'never overwrites a file');
  });
});
