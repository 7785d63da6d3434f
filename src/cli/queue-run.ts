/**
 * `distillery run JOB.yaml --queue redis://...`: the job as a distributed flow on BullMQ. Prints the
 * job's chunk counts as they change (JSON lines on stderr) and one line at the end, like a plain run.
 */
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { JobSpec } from '../jobs/index.ts';
import { loadQueueRuntime } from '../jobs/index.ts';
import type { DistributedStatus } from '../jobs/index.ts';
import type { ProgressMode, Runtime } from './job-runtime.ts';

export interface QueueRunOptions {
  queue: string;
  parts?: string;
  attempts: string;
  lockDuration?: string;
  progress: ProgressMode;
}

const positive = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1))
    throw new DistilleryError('INVALID_INPUT', `${flag} ${v}: expected an integer >= 1`);
  return n;
};

function statusLine(s: DistributedStatus): string {
  const c = s.chunks;
  const eta = s.etaSeconds === null ? '' : `, eta ${Math.round(s.etaSeconds)} s`;
  return `job ${s.id}: ${s.state}; chunks ${c.done}/${c.total} done, ${c.running} running, ${c.failed} failed; ${s.workers.length} workers${eta}`;
}

export async function runOnQueue(rt: Runtime, job: JobSpec, jobFile: string, opts: QueueRunOptions): Promise<string> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const lockDuration = positive(opts.lockDuration, '--lock-duration');
  try {
    const { runCoordinator } = await loadQueueRuntime();
    const r = await runCoordinator(job, {
      url: opts.queue,
      store: rt.store,
      baseDir: path.dirname(path.resolve(jobFile)),
      ...(opts.parts ? { partsDir: opts.parts } : {}),
      attempts: positive(opts.attempts, '--attempts')!,
      backoffMs: 1000,
      ...(lockDuration ? { lockDuration, stalledInterval: Math.max(500, Math.floor(lockDuration / 2)) } : {}),
      command: ['distillery', ...process.argv.slice(2)].join(' '),
      signal: stop.signal,
      onStatus: (s) => {
        if (opts.progress === 'none') return;
        const json = opts.progress === 'json' || (opts.progress === 'auto' && !process.stderr.isTTY);
        process.stderr.write(`${json ? JSON.stringify({ type: 'queue', ...s }) : statusLine(s)}\n`);
      },
    });
    const f = r.result;
    const how = r.attached ? 'attached to' : 'queued';
    const workers = r.status.workers.length;
    if (f.status === 'up-to-date' || r.upToDate) {
      console.log(
        `dataset ${f.dataset} is up to date: ${f.examples} examples from ${f.records} records; nothing recomputed`,
      );
    } else {
      console.log(
        `dataset ${f.dataset} done (${how} job ${r.id}: ${f.chunks} chunks on ${workers} workers): ` +
          `${f.examples} examples from ${f.records} records; teacher computed ${f.computed}, cache served ${f.cached}`,
      );
    }
    return f.dataset;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
