/**
 * POST /v1/jobs with a causal-LM teacher on the real service: the job runs through the sequence
 * labeler and reports refused rows, and its dataset downloads as JSONL / Parquet; fields the teacher cannot honour get a 422 naming them, and
 * the dataset already stored stays as it was. A job with `sequence.generate` has the teacher write the
 * rows, labels them from their generations' recordings, and exports them with their provenance.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { post, problemOf, startTestService, TINY_TEACHER, type TestService } from '../http/helpers.ts';

interface JobBody {
  id: string;
  state: string;
  result?: {
    status: string;
    examples: number;
    records: number;
    refused?: number;
    computed: number;
    recorded?: number;
  };
  error?: { message: string };
}

async function finished(url: string): Promise<JobBody> {
  for (let i = 0; i < 600; i++) {
    const j = (await (await fetch(url)).json()) as JobBody;
    if (j.state !== 'running' && j.state !== 'queued') return j;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${url} did not finish`);
}

describe('POST /v1/jobs with a causal-LM teacher', () => {
  let corpora: string;
  let svc: TestService;
  before(async () => {
    corpora = mkdtempSync(path.join(tmpdir(), 'distillery-chat-'));
    const rows = [
      { id: 'a', prompt: 'How was the film?', response: ' Warm and funny.' },
      {
        id: 'b',
        messages: [
          { role: 'user', content: 'Rate it.' },
          { role: 'assistant', content: 'Five stars.' },
        ],
      },
      { id: 'c', text: 'The soup was cold.' },
      { id: 'd', prompt: 'Empty answer', response: '' },
    ];
    writeFileSync(path.join(corpora, 'chat.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const prompts = [
      { id: 'p1', prompt: 'Q: Write a short review of a film you liked.\nA:' },
      { id: 'p2', messages: [{ role: 'user', content: 'Write a short review of a hotel.' }] },
      { id: 'p3', prompt: 'Q: How was the soup?\nA:' },
    ];
    writeFileSync(path.join(corpora, 'prompts.jsonl'), prompts.map((r) => JSON.stringify(r)).join('\n') + '\n');
    svc = await startTestService({
      corporaDirs: [corpora],
      teachers: [TINY_TEACHER, { name: 'lm', path: path.join(REPO_ROOT, 'models', 'demo-lm') }],
    });
  });
  after(async () => {
    await svc.close();
    rmSync(corpora, { recursive: true, force: true });
  });

  test('the job labels the rows per token and reports the refused one; k > vocabulary is a 422', async () => {
    const job = { dataset: 'chat', corpus: { path: 'chat.jsonl' }, teachers: ['lm'], sequence: { topK: 8 } };
    const res = await post(`${svc.url}/v1/jobs`, job);
    assert.equal(res.status, 202, await res.clone().text());
    const done = await finished(`${svc.url}${res.headers.get('location')}`);
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.equal(done.result!.records, 4);
    assert.equal(done.result!.examples, 3);
    assert.equal(done.result!.refused, 1);
    const stored = svc.service.store.datasetSequences.counts('chat');
    assert.deepEqual(stored, { rows: 4, refused: 1 });
    const shown = (await (await fetch(`${svc.url}/v1/datasets/chat`)).json()) as {
      sequences: { rows: number; refusedRows: { id: string; field: string }[] };
    };
    assert.equal(shown.sequences.rows, 4);
    assert.deepEqual(
      shown.sequences.refusedRows.map((r) => [r.id, r.field]),
      [['d', 'response']],
    );
    const jsonl = await (await fetch(`${svc.url}/v1/datasets/chat/export?format=jsonl`)).text();
    const lines = jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; topk_ids: number[][] });
    assert.deepEqual(
      lines.map((l) => l.id),
      ['a', 'b', 'c'],
    );
    assert.equal(lines[0]!.topk_ids[0]!.length, 8);
    const parquet = await fetch(`${svc.url}/v1/datasets/chat/export?format=parquet`);
    assert.equal(parquet.headers.get('content-type'), 'application/vnd.apache.parquet');
    assert.equal(
      Buffer.from(await parquet.arrayBuffer())
        .subarray(0, 4)
        .toString(),
      'PAR1',
    );

    for (const [body, pointer] of [
      [{ ...job, sequence: { topK: 500 } }, '/sequence/topK'],
      [{ ...job, recipe: 'eda' }, '/recipe'],
      [{ ...job, teachers: ['tiny'] }, '/sequence'],
      [{ ...job, sequence: { topK: 8, maskRoles: ['robot'] } }, '/sequence/maskRoles/0'],
    ] as const) {
      const bad = await post(`${svc.url}/v1/jobs`, body);
      assert.equal(bad.status, 422, JSON.stringify(body));
      const p = await problemOf(bad);
      assert.ok(
        p.errors?.some((e) => e.pointer === pointer),
        `${pointer} in ${JSON.stringify(p.errors)}`,
      );
    }
    assert.deepEqual(svc.service.store.datasetSequences.counts('chat'), stored, 'nothing stored is lost');
  });

  test('a job with sequence.generate runs to completion over HTTP and exports the rows the teacher wrote', async () => {
    const job = {
      dataset: 'gen',
      corpus: { path: 'prompts.jsonl' },
      teachers: ['lm'],
      seed: 4,
      chunkSize: 2,
      sequence: { topK: 8, generate: { n: 2, maxNewTokens: 10, temperature: 0.7, topK: 5 } },
    };
    const res = await post(`${svc.url}/v1/jobs`, job);
    assert.equal(res.status, 202, await res.clone().text());
    const done = await finished(`${svc.url}${res.headers.get('location')}`);
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.equal(done.result!.records, 6);
    assert.ok(done.result!.examples >= 1, JSON.stringify(done.result));
    // the generator is the teacher's own model: its rows' labels come from the generation
    assert.ok(
      done.result!.recorded! > 0 && done.result!.recorded! <= done.result!.computed,
      JSON.stringify(done.result),
    );
    const jsonl = await (await fetch(`${svc.url}/v1/datasets/gen/export?format=jsonl`)).text();
    const lines = jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; topk_ids: number[][]; provenance: string });
    assert.equal(lines.length, done.result!.examples);
    for (const l of lines) {
      assert.match(l.id, /^p[123]#g[01]$/);
      assert.equal(l.topk_ids[0]!.length, 8);
      const p = JSON.parse(l.provenance) as { op: string; parent: string; seed: number };
      assert.deepEqual([p.op, p.parent, p.seed], ['generate', l.id.split('#')[0], 4]);
    }
    const parquet = await fetch(`${svc.url}/v1/datasets/gen/export?format=parquet`);
    assert.equal(parquet.status, 200);
    assert.equal(
      Buffer.from(await parquet.arrayBuffer())
        .subarray(0, 4)
        .toString(),
      'PAR1',
    );
  });
});
