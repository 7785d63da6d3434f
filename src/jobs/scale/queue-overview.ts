/**
 * Everything a dashboard or a Prometheus scrape wants from one Redis at once: the chunk queue's depth by
 * state, the workers connected to it now, and every distributed job it holds with its status. Read on
 * demand (nothing is cached), and given up after a deadline: ioredis waits for a reconnect forever, and a
 * scrape or a page must answer "Redis is down" rather than hang with it.
 */
import { QueueClient, readStatus, type DistributedStatus } from './job-status.ts';

/** Chunks of every job in the shared queue, by BullMQ state. */
export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface QueueOverview {
  /** false when Redis did not answer within the deadline; the rest is then empty */
  up: boolean;
  error?: string;
  depth: QueueDepth;
  /** `host:pid` of each `distillery worker` connected to the chunk queue */
  workers: string[];
  jobs: DistributedStatus[];
}

const EMPTY: QueueDepth = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };

/** Worker names from BullMQ's client list (`<queue client>:w:<name>`, one per connection). */
async function connectedWorkers(qc: QueueClient): Promise<string[]> {
  const names = new Set<string>();
  for (const c of await qc.chunks.getWorkers()) {
    const raw = c.rawname ?? '';
    const at = raw.indexOf(':w:');
    if (at >= 0) names.add(raw.slice(at + 3));
  }
  return [...names].sort();
}

async function read(qc: QueueClient): Promise<QueueOverview> {
  const counts = await qc.chunks.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
  const depth: QueueDepth = {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
  };
  const jobs: DistributedStatus[] = [];
  for (const id of await qc.jobIds()) {
    const s = await readStatus(qc, id);
    if (s) jobs.push(s);
  }
  return { up: true, depth, workers: await connectedWorkers(qc), jobs };
}

export async function readQueueOverview(qc: QueueClient, deadlineMs = 3000): Promise<QueueOverview> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<QueueOverview>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          up: false,
          error: `Redis at ${qc.url} did not answer within ${deadlineMs} ms`,
          depth: EMPTY,
          workers: [],
          jobs: [],
        }),
      deadlineMs,
    );
  });
  const now = read(qc).catch((e: unknown): QueueOverview => ({
    up: false,
    error: `Redis at ${qc.url}: ${e instanceof Error ? e.message : String(e)}`,
    depth: EMPTY,
    workers: [],
    jobs: [],
  }));
  try {
    return await Promise.race([now, late]);
  } finally {
    clearTimeout(timer);
  }
}
