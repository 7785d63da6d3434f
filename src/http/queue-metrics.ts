/**
 * Prometheus series of the distributed queue (docs/SCALE.md), read from Redis at scrape time: the chunk
 * queue's depth, the workers connected, and per job its chunks by state, ETA and each worker's rate
 * (examples per second of chunk time, from the chunks it finished). `distillery_queue_up` is 0 when Redis
 * did not answer in time, so an alert can tell "no work" from "cannot see".
 */
import type { QueueOverview } from '../jobs/index.ts';
import { Gauge } from './metrics.ts';

type Series = Array<[Record<string, string>, number]>;

export function queueMetrics(o: QueueOverview): Gauge[] {
  const perJob = (f: (s: QueueOverview['jobs'][number]) => Series): Series => o.jobs.flatMap(f);
  const perWorker = (f: (w: QueueOverview['jobs'][number]['workers'][number]) => number): Series =>
    perJob((s) => s.workers.map((w) => [{ job: s.id, worker: w.worker }, f(w)]));
  return [
    new Gauge('distillery_queue_up', 'Whether the queue Redis answered this scrape (1) or not (0).', () => [
      [{}, o.up ? 1 : 0],
    ]),
    new Gauge('distillery_queue_chunks', 'Chunks in the shared chunk queue by state (all jobs).', () =>
      Object.entries(o.depth).map(([state, n]) => [{ state }, n]),
    ),
    new Gauge('distillery_queue_workers', 'distillery workers connected to the chunk queue now.', () => [
      [{}, o.workers.length],
    ]),
    new Gauge('distillery_distributed_job_chunks', 'Chunks of each distributed job by state.', () =>
      perJob((s) =>
        (['done', 'running', 'waiting', 'failed'] as const).map((state) => [{ job: s.id, state }, s.chunks[state]]),
      ),
    ),
    new Gauge(
      'distillery_distributed_job_eta_seconds',
      'Estimated seconds until all chunks of a running job are done.',
      () => perJob((s) => (s.etaSeconds === null || s.state !== 'running' ? [] : [[{ job: s.id }, s.etaSeconds]])),
    ),
    new Gauge('distillery_distributed_worker_chunks', 'Chunks each worker finished, per job.', () =>
      perWorker((w) => w.chunks),
    ),
    new Gauge('distillery_distributed_worker_examples', 'Examples in the chunks each worker finished, per job.', () =>
      perWorker((w) => w.examples),
    ),
    new Gauge(
      'distillery_distributed_worker_examples_per_second',
      'Examples per second of chunk time of each worker, per job.',
      () => perWorker((w) => w.examplesPerSecond),
    ),
  ];
}
