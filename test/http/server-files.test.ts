/**
 * No request may make the server read a file it names: lexicons come inline or by configured name,
 * corpora only as regular files inside the corpora folders (never the store's own files), and answers
 * never show file contents or absolute server paths.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { post, problemOf, startTestService, type TestService } from './helpers.ts';

const SECRET = 'hunter2-not-for-you';
const lexiconRecipe = (params: Record<string, unknown>) => ({
  inputs: ['my password is here'],
  recipe: { flow: { op: 'lexicon', params } },
  seed: 1,
});

describe('requests never name server files', () => {
  let dir: string;
  let corpora: string;
  let svc: TestService;
  let secretFile: string;
  let fifo: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'distillery-files-'));
    corpora = path.join(dir, 'corpora');
    execFileSync('mkdir', ['-p', corpora]);
    secretFile = path.join(dir, 'secret.tsv');
    writeFileSync(secretFile, `password\t${SECRET}\n`);
    writeFileSync(path.join(dir, 'medical.tsv'), 'password\tpassphrase\n');
    writeFileSync(path.join(corpora, 'ok.jsonl'), '{"text":"a fine film"}\n{"text":"a dull film"}\n');
    fifo = path.join(corpora, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    // the database sits inside a corpora folder, as data/distillery.db does by default
    svc = await startTestService(
      { corporaDirs: [corpora, dir], lexicons: { medical: path.join(dir, 'medical.tsv') } },
      { dir },
    );
  });
  after(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a lexicon op naming a file is refused without opening it, whether the file exists or not', async () => {
    const answers = [];
    for (const file of [secretFile, path.join(dir, 'missing.tsv'), '/dev/zero', fifo]) {
      const res = await post(`${svc.url}/v1/augment`, lexiconRecipe({ file }));
      assert.equal(res.status, 422, file);
      const p = await problemOf(res);
      const text = JSON.stringify(p);
      assert.ok(!text.includes(SECRET), 'no file contents in the answer');
      assert.ok(
        p.errors?.some((e) => e.pointer === '/recipe/flow/params'),
        text,
      );
      answers.push(p.detail);
    }
    // the same answer for an existing, a missing, a device and a FIFO path: no existence oracle
    assert.equal(new Set(answers).size, 1, JSON.stringify(answers));
  });

  test('a file nested in a oneOf, a sequence or a job recipe is refused too', async () => {
    const nested = {
      oneOf: [{ op: 'swap' }, { sequence: [{ op: 'delete' }, { op: 'lexicon', params: { file: secretFile } }] }],
    };
    const res = await post(`${svc.url}/v1/augment`, { inputs: ['a b c'], recipe: { flow: nested }, seed: 1 });
    assert.equal(res.status, 422);
    const job = await post(`${svc.url}/v1/jobs`, {
      dataset: 'x',
      corpus: { path: 'ok.jsonl' },
      teachers: ['tiny'],
      recipe: { flow: { op: 'lexicon', params: { file: fifo } } },
    });
    assert.equal(job.status, 422);
    assert.ok(!JSON.stringify(await problemOf(job)).includes(SECRET));
  });

  test('lexicons come inline or by the name the config gives them', async () => {
    const inline = await post(`${svc.url}/v1/augment`, lexiconRecipe({ terms: { password: ['passphrase'] } }));
    assert.equal(inline.status, 200, await inline.clone().text());
    const a = (await inline.json()) as { examples: { text: string }[] };
    assert.ok(
      a.examples.some((e) => e.text === 'my passphrase is here'),
      JSON.stringify(a),
    );

    const named = await post(`${svc.url}/v1/augment`, lexiconRecipe({ lexicon: 'medical' }));
    assert.equal(named.status, 200);
    const b = (await named.json()) as { examples: { text: string }[] };
    assert.ok(b.examples.some((e) => e.text === 'my passphrase is here'));

    const unknown = await post(`${svc.url}/v1/augment`, lexiconRecipe({ lexicon: 'secret' }));
    assert.equal(unknown.status, 422);
    const p = await problemOf(unknown);
    assert.match(p.detail, /no lexicon named "secret"/);
    assert.ok(!p.detail.includes(dir), 'no server path in the answer');
  });

  test("a job corpus must be a regular file and never the store's own database", async () => {
    for (const [corpusPath, why] of [
      ['test.db', /store files/],
      ['pipe.jsonl', /regular file/],
    ] as const) {
      const res = await post(`${svc.url}/v1/jobs`, {
        dataset: 'x',
        corpus: { path: corpusPath, format: 'text' },
        teachers: ['tiny'],
      });
      assert.equal(res.status, 422, corpusPath);
      assert.match((await problemOf(res)).detail, why);
    }
  });

  test('a dataset shows its corpus relative to the corpora folder, not as a server path', async () => {
    const res = await post(`${svc.url}/v1/jobs`, { dataset: 'ok', corpus: { path: 'ok.jsonl' }, teachers: ['tiny'] });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    for (let i = 0; ; i++) {
      const j = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { state: string };
      if (j.state === 'done') break;
      assert.ok(i < 600 && j.state !== 'failed', JSON.stringify(j));
      await new Promise((r) => setTimeout(r, 50));
    }
    const text = await (await fetch(`${svc.url}/v1/datasets/ok`)).text();
    assert.ok(!text.includes(dir), text);
    assert.match(text, /"path":"ok\.jsonl"/);
  });
});
