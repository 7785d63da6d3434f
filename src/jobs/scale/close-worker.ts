/**
 * Closing a BullMQ Worker without hanging. `Worker.close()` first disconnects the worker's blocking
 * connection and waits for ioredis' 'end' event, then waits for the job in flight. A connection that is
 * waiting to reconnect (Redis down, or back but not yet retried) never emits 'end' when disconnected: its
 * retry timer is cleared and it stays "reconnecting" for good (taskforcesh/bullmq#4656), so a worker told
 * to stop during or just after a Redis restart would never exit. So the close waits, within a grace
 * period, until both of the worker's connections are live, and only then closes it the orderly way; if
 * Redis does not come back in time, the worker is closed by force (nothing is recorded in Redis then: a
 * job in flight goes back to the queue once its lock expires).
 */
import type { Worker } from 'bullmq';

export interface CloseWorkerOptions {
  /** how long to wait for Redis to answer again before giving up the orderly close */
  graceMs: number;
  /** called once if the worker is closed by force */
  onUnreachable?: () => void;
  pollMs?: number;
}

interface ClientStatus {
  status?: string;
}

/** A client that can be disconnected and waited on without parking it: ready, or never connected. */
const settled = (c: ClientStatus | undefined): boolean =>
  c === undefined || c.status === 'ready' || c.status === 'end' || c.status === 'wait';

async function connectionsLive(worker: Worker, deadline: number, pollMs: number): Promise<boolean> {
  // the clients are promises: one still connecting for the first time resolves only when Redis answers
  let clients: (ClientStatus | undefined)[] | undefined;
  const resolved = Promise.all([worker.backend.client, worker.backend.blockingClient]).then(
    (cs) => (clients = cs as (ClientStatus | undefined)[]),
    () => (clients = []),
  );
  void resolved;
  for (;;) {
    if (clients && clients.every(settled)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function closeWorker(worker: Worker, opts: CloseWorkerOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 50;
  // No I/O runs between the last check and close()'s disconnect (only promise callbacks), so a
  // connection found live here is still live when the worker disconnects it.
  if (await connectionsLive(worker, Date.now() + opts.graceMs, pollMs)) {
    await worker.close();
    return;
  }
  opts.onUnreachable?.();
  await worker.close(true);
}
