/**
 * The in-process job queue refuses with typed errors (src/jobs/queue/job-queue.ts), which http/ maps
 * to statuses; no HTTP types cross into jobs/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { DatasetLock } from '../../src/jobs/dataset-lock.ts';
import { parseJob } from '../../src/jobs/job-schema.ts';
import { InProcessJobQueue } from '../../src/jobs/queue/index.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('distillery-queue-');

test('a dataset another process writes is a CONFLICT naming the holder; an unknown teacher is NOT_FOUND', async () => {
  const store = openStore(path.join(dir, 'q.db'));
  const queue = new InProcessJobQueue({
    store,
    teachers: {
      has: (name) => name === 'tiny',
      get: () => Promise.reject(new Error('no teacher loads in this test')),
    },
    validate: (request) => parseJob(request),
    modelsDir: dir,
    journalPath: path.join(dir, 'q.db-jobs.json'),
    maxRunning: 1,
    maxQueued: 1,
    logger: pino({ level: 'silent' }),
  });
  const job = (dataset: string, teacher = 'tiny') => ({
    dataset,
    corpus: { path: path.join(dir, 'corpus.jsonl') },
    teachers: [teacher],
  });
  const lock = DatasetLock.acquire(store, 'held', { command: 'distillery run elsewhere' });
  try {
    await assert.rejects(queue.submit(job('held')), (err: unknown) => {
      const e = err as { code: string; details?: { holder?: { command: string } } };
      assert.equal(e.code, 'CONFLICT');
      assert.equal(e.details?.holder?.command, 'distillery run elsewhere');
      return true;
    });
    await assert.rejects(queue.submit(job('free', 'absent')), { code: 'NOT_FOUND' });
    assert.deepEqual(queue.list(), [], 'a refused job is not recorded');
  } finally {
    lock.release();
    await queue.close();
    store.close();
  }
});
