/**
 * POST /v1/jobs, GET /v1/jobs, GET|DELETE /v1/jobs/:id over the resumable job runner; with a queue
 * configured, distributed jobs (run --queue) by id and GET /v1/distributed-jobs.
 */
import { Router } from 'express';
import { z } from 'zod';
import { remoteJobSchema, type JobQueue } from '../../jobs/index.ts';
import type { RouteModule } from '../app.ts';
import { HttpProblem } from '../problem.ts';
import { parseOr422 } from '../validate.ts';

/** Distributed jobs (src/jobs/scale), when the service knows a Redis queue. */
export interface DistributedJobs {
  status(id: string): Promise<unknown>;
  /** the queue's depth, connected workers and every job's status (docs/SCALE.md) */
  overview(): Promise<object>;
}

/** ioredis waits for a reconnect forever: a request about a distributed job must not wait with it. */
const QUEUE_DEADLINE_MS = 3000;
async function inTime<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HttpProblem(503, `the queue's Redis did not answer within ${QUEUE_DEADLINE_MS} ms`, {
            hint: 'check that redis-server runs and the config names it (queue:)',
          }),
        ),
      QUEUE_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function jobsModule(jobs: JobQueue, distributed?: DistributedJobs): RouteModule {
  return {
    router(schemas) {
      const router = Router();
      const find = (raw: unknown) => {
        const { id } = parseOr422(schemas.jobParams, raw, 'params');
        return id;
      };
      router.post('/v1/jobs', async (req, res) => {
        const job = await jobs.submit(req.body);
        res.status(202).location(`/v1/jobs/${job.id}`).json(job);
      });
      router.get('/v1/jobs', (_req, res) => {
        res.json({ jobs: jobs.list() });
      });
      router.get('/v1/jobs/:id', async (req, res) => {
        const id = find(req.params);
        const job = jobs.get(id) ?? (distributed ? await inTime(distributed.status(id)) : undefined);
        if (!job) throw new HttpProblem(404, `no job "${id}"`);
        res.json(job);
      });
      router.get('/v1/distributed-jobs', async (_req, res) => {
        res.json(distributed ? { configured: true, ...(await distributed.overview()) } : { configured: false });
      });
      router.delete('/v1/jobs/:id', (req, res) => {
        const id = find(req.params);
        const job = jobs.cancel(id);
        if (!job) throw new HttpProblem(404, `no job "${id}"`);
        res.status(202).json(job);
      });
      return router;
    },
    docs(schemas) {
      return [
        {
          method: 'post',
          path: '/v1/jobs',
          summary:
            'Start a job, or queue it (state "queued", queuePosition) while limits.maxRunningJobs run; 429 past limits.maxQueuedJobs waiting (same schema as JOB.yaml; corpus.path relative to the corpora folders; no export targets)',
          body: remoteJobSchema,
          response: schemas.jobView,
          okStatus: 202,
          errors: [400, 401, 404, 409, 413, 422, 429, 503],
        },
        {
          method: 'get',
          path: '/v1/jobs',
          summary: 'Jobs this server knows (queued, running and recent), in submission order',
          response: z.object({ jobs: z.array(schemas.jobView) }),
          errors: [401],
        },
        {
          method: 'get',
          path: '/v1/jobs/{id}',
          summary:
            'A job: state, queue position, progress, result or error; a distributed job (run --queue, with `queue` configured): its chunks done / running / waiting / failed, failures, per-worker throughput and ETA',
          params: schemas.jobParams,
          response: schemas.jobView,
          errors: [401, 404, 422, 503],
        },
        {
          method: 'get',
          path: '/v1/distributed-jobs',
          summary:
            "Distributed jobs (run --queue) on the configured Redis: queue depth by state, connected workers, each job's chunks done / running / waiting / failed, per-worker throughput and ETA; `configured: false` without `queue`, `up: false` when Redis does not answer",
          errors: [401],
        },
        {
          method: 'delete',
          path: '/v1/jobs/{id}',
          summary:
            'Cancel a job: a queued one never starts, a running one stops after its chunk in flight is committed',
          params: schemas.jobParams,
          response: schemas.jobView,
          okStatus: 202,
          errors: [401, 404, 422],
        },
      ];
    },
  };
}
