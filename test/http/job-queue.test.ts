/**
 * The job queue over real HTTP: past limits.maxRunningJobs jobs wait (FIFO) and start as running ones
 * end; past limits.maxQueuedJobs waiting the answer is 429; DELETE on a queued job drops it; queued jobs
 * survive a restart.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { post, problemOf, startTestService } from './helpers.ts';

interface JobBody {
  id: string;
  dataset: string;
  state: string;
  queuePosition?: number;
  submitted: string;
  started?: string;
  finished?: string;
  result?: { status: string; records: number };
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

const getJob = async (url: string, id: string) => (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobBody;

async function waitFor(url: string, id: string, until: (j: JobBody) => boolean, timeoutMs = 60_000): Promise<JobBody> {
  const t0 = Date.now();
  for (;;) {
    const j = await getJob(url, id);
    if (until(j)) return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const ended = (j: JobBody) => !['queued', 'running'].includes(j.state);

/** A job long enough (eda over 300 records in chunks of 20) to still run when the next POSTs arrive. */
const jobBody = (dataset: string) => ({
  dataset,
  corpus: { path: 'reviews.jsonl' },
  recipe: 'eda',
  seed: 1,
  teachers: ['tiny'],
  chunkSize: 20,
});

function setup(name: string): {
  dir: string;
  patch: (limits: Record<string, number>) => Record<string, unknown>;
  cleanup: () => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), `distillery-${name}-`));
  const corpora = path.join(dir, 'corpora');
  mkdirSync(corpora);
  writeCorpus(corpora, 300);
  return {
    dir,
    patch: (limits) => ({ corporaDirs: [corpora], limits }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('past maxRunningJobs jobs are queued with positions, start in order as others end, and past maxQueuedJobs get 429', async () => {
  const { patch, cleanup } = setup('queue');
  const svc = await startTestService(patch({ maxRunningJobs: 1, maxQueuedJobs: 2, retryAfterSeconds: 3 }));
  try {
    const submitted: JobBody[] = [];
    for (const d of ['q1', 'q2', 'q3']) {
      const res = await post(`${svc.url}/v1/jobs`, jobBody(d));
      assert.equal(res.status, 202);
      const body = (await res.json()) as JobBody;
      assert.equal(res.headers.get('location'), `/v1/jobs/${body.id}`);
      submitted.push(body);
    }
    assert.deepEqual(
      submitted.map((j) => [j.dataset, j.state, j.queuePosition]),
      [
        ['q1', 'running', undefined],
        ['q2', 'queued', 1],
        ['q3', 'queued', 2],
      ],
    );

    // the queue is full: 429 with Retry-After, and nothing is queued
    const full = await post(`${svc.url}/v1/jobs`, jobBody('q4'));
    assert.equal(full.status, 429);
    assert.equal(full.headers.get('retry-after'), '3');
    assert.match((await problemOf(full)).detail, /1 jobs are running and 2 wait/);
    // a dataset already queued is a conflict, not a second queue entry
    assert.equal((await post(`${svc.url}/v1/jobs`, jobBody('q3'))).status, 409);

    const listed = (await (await fetch(`${svc.url}/v1/jobs`)).json()) as { jobs: JobBody[] };
    assert.deepEqual(
      listed.jobs.map((j) => j.dataset),
      ['q1', 'q2', 'q3'],
    );

    // once q1 ends, q2 starts and q3 moves up
    await waitFor(svc.url, submitted[1]!.id, (j) => j.state !== 'queued');
    const q3 = await getJob(svc.url, submitted[2]!.id);
    if (q3.state === 'queued') assert.equal(q3.queuePosition, 1);

    const done = [];
    for (const j of submitted) done.push(await waitFor(svc.url, j.id, ended));
    assert.deepEqual(
      done.map((j) => j.state),
      ['done', 'done', 'done'],
    );
    for (const j of done) assert.equal(j.result!.records, 300);
    // FIFO, one at a time: each started after the one before it finished
    for (let i = 1; i < done.length; i++)
      assert.ok(
        done[i]!.started! >= done[i - 1]!.finished!,
        `${done[i]!.dataset} started ${done[i]!.started} before ${done[i - 1]!.dataset} finished ${done[i - 1]!.finished}`,
      );

    // the OpenAPI document describes the queued state (generated from the same schemas)
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            responses: Record<
              string,
              { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> }
            >;
          }
        >
      >;
    };
    const view = doc.paths['/v1/jobs']!.post!.responses['202']!.content['application/json']!.schema;
    assert.ok(view.properties.state!.enum!.includes('queued'));
    assert.ok('queuePosition' in view.properties);

    // with the queue drained a new job starts at once
    const next = (await (await post(`${svc.url}/v1/jobs`, jobBody('q4'))).json()) as JobBody;
    assert.equal(next.state, 'running');
    await waitFor(svc.url, next.id, ended);
  } finally {
    await svc.close();
    cleanup();
  }
});

test('DELETE drops a queued job without running it; queued jobs survive a restart and then run in order', async () => {
  const { dir, patch, cleanup } = setup('queue-restart');
  const limits = patch({ maxRunningJobs: 1 });
  try {
    const first = await startTestService(limits, { dir });
    const ids: string[] = [];
    for (const d of ['r1', 'r2', 'r3'])
      ids.push(((await (await post(`${first.url}/v1/jobs`, jobBody(d))).json()) as JobBody).id);
    const [r1, r2, r3] = ids as [string, string, string];
    const del = await fetch(`${first.url}/v1/jobs/${r2}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    const cancelled = (await del.json()) as JobBody;
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.started, undefined);
    assert.equal((await getJob(first.url, r3)).queuePosition, 1);
    await first.close();

    const journal = JSON.parse(readFileSync(path.join(dir, 'test.db-jobs.json'), 'utf8')) as {
      jobs: { id: string; state: string }[];
    };
    const states = new Map(journal.jobs.map((j) => [j.id, j.state]));
    assert.equal(states.get(r2), 'cancelled');
    assert.equal(states.get(r3), 'queued');
    assert.equal(states.get(r1), 'running', 'r1 was interrupted and is resumed on the next start');

    const second = await startTestService(limits, { dir });
    try {
      const a = await waitFor(second.url, r1, ended);
      const c = await waitFor(second.url, r3, ended);
      assert.equal(a.state, 'done');
      assert.equal(c.state, 'done');
      assert.equal(c.result!.records, 300);
      assert.ok(c.started! >= a.finished!, 'r3 waited for r1');
      const b = await getJob(second.url, r2);
      assert.equal(b.state, 'cancelled');
      assert.equal(b.started, undefined);
      assert.equal((await fetch(`${second.url}/v1/datasets/r2`)).status, 404, 'the cancelled queued job wrote nothing');
    } finally {
      await second.close();
    }
    assert.ok(existsSync(path.join(dir, 'test.db-jobs.json')));
  } finally {
    cleanup();
  }
});

test('a running job that is cancelled or fails hands its slot to the next queued job', async () => {
  const { dir, patch, cleanup } = setup('queue-handoff');
  // a corpus whose last line is malformed: the job fails in its scan, before writing anything
  const bad = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ text: `line ${i}` }));
  writeFileSync(path.join(dir, 'corpora', 'broken.jsonl'), [...bad, '{"text": broken'].join('\n') + '\n');
  const svc = await startTestService(patch({ maxRunningJobs: 1 }));
  try {
    const a = (await (await post(`${svc.url}/v1/jobs`, jobBody('h1'))).json()) as JobBody;
    const b = (await (await post(`${svc.url}/v1/jobs`, jobBody('h2'))).json()) as JobBody;
    assert.deepEqual([a.state, b.state], ['running', 'queued']);
    assert.equal((await fetch(`${svc.url}/v1/jobs/${a.id}`, { method: 'DELETE' })).status, 202);
    const cancelled = await waitFor(svc.url, a.id, ended);
    assert.equal(cancelled.state, 'cancelled');
    const next = await waitFor(svc.url, b.id, (j) => j.state !== 'queued');
    assert.ok(next.started! >= cancelled.finished!, 'h2 started once h1 stopped');

    const failing = (await (
      await post(`${svc.url}/v1/jobs`, { ...jobBody('h3'), corpus: { path: 'broken.jsonl' } })
    ).json()) as JobBody;
    const after = (await (await post(`${svc.url}/v1/jobs`, jobBody('h4'))).json()) as JobBody;
    const failed = await waitFor(svc.url, failing.id, ended);
    assert.equal(failed.state, 'failed');
    assert.match(JSON.stringify(failed), /broken\.jsonl:20001/);
    const last = await waitFor(svc.url, after.id, ended);
    assert.equal(last.state, 'done');
    assert.ok(last.started! >= failed.finished!, 'h4 started once h3 failed');
    assert.equal((await waitFor(svc.url, b.id, ended)).state, 'done');
  } finally {
    await svc.close();
    cleanup();
  }
});
