import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { post, problemOf, startTestService, type TestService } from './helpers.ts';

interface JobBody {
  id: string;
  dataset: string;
  state: string;
  progress?: { chunks: number; records: number };
  result?: { status: string; examples: number; records: number; resumed: number };
  error?: { message: string };
}

const WORDS = ['good', 'bad', 'film', 'plot', 'actors', 'music', 'long', 'short', 'funny', 'dull', 'warm', 'cold'];
function writeCorpus(dir: string, n: number): void {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      text: `the ${WORDS[i % 12]} ${WORDS[(i * 7) % 12]} was ${WORDS[(i * 5) % 12]} and ${WORDS[(i * 3) % 12]} number ${i}`,
      label: i % 2,
    }),
  );
  writeFileSync(path.join(dir, 'reviews.jsonl'), lines.join('\n') + '\n');
}

async function waitFor(url: string, until: (j: JobBody) => boolean, timeoutMs = 30_000): Promise<JobBody> {
  const t0 = Date.now();
  for (;;) {
    const j = (await (await fetch(url)).json()) as JobBody;
    if (until(j)) return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/v1/jobs', () => {
  let corpora: string;
  let svc: TestService;
  before(async () => {
    corpora = mkdtempSync(path.join(tmpdir(), 'distillery-corpora-'));
    writeCorpus(corpora, 40);
    svc = await startTestService({ corporaDirs: [corpora] });
  });
  after(async () => {
    await svc.close();
    rmSync(corpora, { recursive: true, force: true });
  });

  test('POST runs a job to the end; GET follows it; the dataset is then listed and exportable', async () => {
    const res = await post(`${svc.url}/v1/jobs`, {
      dataset: 'reviews',
      corpus: { path: 'reviews.jsonl' },
      teachers: ['tiny'],
      outputs: { temperatures: [1, 2] },
      chunkSize: 10,
    });
    assert.equal(res.status, 202);
    const job = (await res.json()) as JobBody;
    assert.equal(res.headers.get('location'), `/v1/jobs/${job.id}`);
    const done = await waitFor(`${svc.url}/v1/jobs/${job.id}`, (j) => j.state !== 'running');
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.equal(done.result!.examples, 40);
    const stats = (await (await fetch(`${svc.url}/v1/datasets/reviews`)).json()) as {
      stats: { examples: number; teachers: { labelled: number }[] };
    };
    assert.equal(stats.stats.examples, 40);
    assert.equal(stats.stats.teachers[0]!.labelled, 40);
    const jsonl = await (await fetch(`${svc.url}/v1/datasets/reviews/export?format=jsonl`)).text();
    assert.equal(jsonl.trim().split('\n').length, 40);
    const list = (await (await fetch(`${svc.url}/v1/jobs`)).json()) as { jobs: JobBody[] };
    assert.ok(list.jobs.some((j) => j.id === job.id));
  });

  const bad: [string, unknown, number, RegExp][] = [
    [
      'absolute corpus path',
      { dataset: 'x1', corpus: { path: '/etc/passwd' }, teachers: ['tiny'] },
      422,
      /\/corpus\/path.*relative/,
    ],
    [
      'corpus path climbing out',
      { dataset: 'x2', corpus: { path: '../../etc/passwd' }, teachers: ['tiny'] },
      422,
      /\/corpus\/path.*leave/,
    ],
    ['missing corpus', { dataset: 'x3', corpus: { path: 'nope.jsonl' }, teachers: ['tiny'] }, 404, /\/corpus\/path/],
    [
      'export targets',
      {
        dataset: 'x4',
        corpus: { path: 'reviews.jsonl' },
        teachers: ['tiny'],
        export: [{ format: 'jsonl', out: '/tmp/x' }],
      },
      422,
      /\/export/,
    ],
    [
      'unknown teacher',
      { dataset: 'x5', corpus: { path: 'reviews.jsonl' }, teachers: ['nope'] },
      404,
      /\/teachers\/0\/name/,
    ],
    [
      'schema error',
      { dataset: 'x6', corpus: { path: 'reviews.jsonl' }, teachers: ['tiny'], outputs: { temperatures: [-1] } },
      422,
      /\/outputs\/temperatures\/0/,
    ],
    [
      'a model path in augmentModels',
      {
        dataset: 'x7',
        corpus: { path: 'reviews.jsonl' },
        teachers: ['tiny'],
        recipe: 'backtranslate',
        augmentModels: { translation: { 'en-xx': '../../etc' } },
      },
      422,
      /\/augmentModels\/translation\/en-xx/,
    ],
    [
      'a hub id in augmentModels',
      {
        dataset: 'x8',
        corpus: { path: 'reviews.jsonl' },
        teachers: ['tiny'],
        augmentModels: { fillMask: 'Xenova/bert-base' },
      },
      422,
      /\/augmentModels\/fillMask/,
    ],
    ['bad dataset id', { dataset: 'Bad Id', corpus: { path: 'reviews.jsonl' }, teachers: ['tiny'] }, 422, /\/dataset/],
  ];
  for (const [name, body, status, detail] of bad) {
    test(`${name} -> ${status}`, async () => {
      const res = await post(`${svc.url}/v1/jobs`, body);
      assert.equal(res.status, status);
      const p = await problemOf(res);
      assert.match(`${p.detail} ${JSON.stringify(p.errors ?? [])}`, detail);
    });
  }

  test('unknown job id 404, malformed id 422', async () => {
    assert.equal((await fetch(`${svc.url}/v1/jobs/0f0f0f0f-0000-4000-8000-000000000000`)).status, 404);
    assert.equal((await fetch(`${svc.url}/v1/jobs/${encodeURIComponent('a b')}`, { method: 'DELETE' })).status, 422);
  });
});

test('shutdown checkpoints a running job; the next start resumes it to the same end; DELETE cancels for good', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-jobs-resume-'));
  const corpora = path.join(dir, 'corpora');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(corpora);
  writeCorpus(corpora, 400);
  const patch = { corporaDirs: [corpora] };
  const body = {
    dataset: 'big',
    corpus: { path: 'reviews.jsonl' },
    recipe: 'eda',
    seed: 3,
    teachers: ['tiny'],
    chunkSize: 20,
  };
  try {
    const first = await startTestService(patch, { dir });
    const job = (await (await post(`${first.url}/v1/jobs`, body)).json()) as JobBody;
    await waitFor(`${first.url}/v1/jobs/${job.id}`, (j) => (j.progress?.chunks ?? 0) >= 1);
    await first.close();
    const journal = JSON.parse(readFileSync(path.join(dir, 'test.db-jobs.json'), 'utf8')) as {
      jobs: { id: string; state: string }[];
    };
    assert.deepEqual(
      journal.jobs.map((j) => [j.id, j.state]),
      [[job.id, 'running']],
    );

    const second = await startTestService(patch, { dir });
    try {
      const done = await waitFor(`${second.url}/v1/jobs/${job.id}`, (j) => j.state !== 'running', 60_000);
      assert.equal(done.state, 'done', JSON.stringify(done));
      assert.ok(done.result!.resumed >= 20, `resumed ${done.result!.resumed}`);
      assert.equal(done.result!.records, 400);

      // the same job under another dataset id, cancelled: it ends cancelled and is not resumed
      const other = (await (await post(`${second.url}/v1/jobs`, { ...body, dataset: 'big2' })).json()) as JobBody;
      const del = await fetch(`${second.url}/v1/jobs/${other.id}`, { method: 'DELETE' });
      assert.equal(del.status, 202);
      const cancelled = await waitFor(`${second.url}/v1/jobs/${other.id}`, (j) => j.state !== 'running');
      assert.equal(cancelled.state, 'cancelled');
    } finally {
      await second.close();
    }
    const third = await startTestService(patch, { dir });
    try {
      const j = (await (await fetch(`${third.url}/v1/jobs`)).json()) as { jobs: JobBody[] };
      assert.deepEqual(j.jobs.map((x) => x.state).sort(), ['cancelled', 'done']);
    } finally {
      await third.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
