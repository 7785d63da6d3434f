/** `distillery jobs status|cancel|rm --queue URL`: distributed jobs as Redis holds them (docs/SCALE.md). */
import type { Command } from 'commander';
import { DistilleryError } from '../../core/errors.ts';
import { cancelKey } from '../../jobs/index.ts';
import { loadQueueRuntime, type DistributedStatus, type QueueClient } from '../../jobs/index.ts';

interface QueueOpt {
  queue: string;
  json?: boolean;
}

async function withQueue<T>(url: string, fn: (qc: QueueClient) => Promise<T>): Promise<T> {
  const { QueueClient } = await loadQueueRuntime();
  const qc = new QueueClient(url);
  try {
    return await fn(qc);
  } finally {
    await qc.close();
  }
}

async function requireStatus(qc: QueueClient, id: string): Promise<DistributedStatus> {
  const { readStatus } = await loadQueueRuntime();
  const s = await readStatus(qc, id);
  if (!s)
    throw new DistilleryError('NOT_FOUND', `no distributed job ${id} on ${qc.url}`, {
      hint: `list them with: distillery jobs status --queue ${qc.url}`,
    });
  return s;
}

function print(s: DistributedStatus): void {
  const c = s.chunks;
  console.log(
    `${s.id}  ${s.state}  dataset ${s.dataset}  chunks: ${c.done} done, ${c.running} running, ${c.waiting} waiting, ${c.failed} failed of ${c.total}` +
      (s.etaSeconds ? `  eta ${Math.round(s.etaSeconds)} s` : ''),
  );
  for (const w of s.workers)
    console.log(
      `  worker ${w.worker}: ${w.chunks} chunks, ${w.examples} examples, ${w.examplesPerSecond.toFixed(1)} examples/s`,
    );
  for (const f of s.failures) console.log(`  chunk ${f.chunk} failed: ${f.reason}`);
  if (s.error) console.log(`  error: ${s.error}`);
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('Distributed jobs on a Redis queue (run --queue, worker)');
  jobs
    .command('status')
    .argument('[id]', 'job id (printed by run --queue); all jobs when absent')
    .requiredOption('--queue <url>', 'Redis of the queue (redis://HOST:PORT)')
    .option('--json', 'JSON instead of text')
    .action(async (id: string | undefined, opts: QueueOpt) => {
      await withQueue(opts.queue, async (qc) => {
        const all: DistributedStatus[] = [];
        if (id) all.push(await requireStatus(qc, id));
        else
          for (const i of await qc.jobIds()) {
            // a removed job's queue keeps its meta key: skip it
            const st = await (await loadQueueRuntime()).readStatus(qc, i);
            if (st) all.push(st);
          }
        if (opts.json) console.log(JSON.stringify(id ? all[0] : all, null, 2));
        else if (all.length === 0) console.log(`no distributed jobs on ${opts.queue}`);
        else all.forEach(print);
      });
    });
  jobs
    .command('cancel')
    .argument('<id>', 'job id')
    .requiredOption('--queue <url>', 'Redis of the queue (redis://HOST:PORT)')
    .description('Workers skip its chunks not yet started; the chunks in flight finish; the job ends cancelled')
    .action(async (id: string, opts: QueueOpt) => {
      await withQueue(opts.queue, async (qc) => {
        await requireStatus(qc, id);
        await qc.redis.set(cancelKey(id), new Date().toISOString());
        console.log(`job ${id}: cancelling`);
      });
    });
  jobs
    .command('rm')
    .argument('<id>', 'job id')
    .requiredOption('--queue <url>', 'Redis of the queue (redis://HOST:PORT)')
    .description('Forget a finished, failed or cancelled job, so the same run command queues it afresh')
    .action(async (id: string, opts: QueueOpt) => {
      await withQueue(opts.queue, async (qc) => {
        const s = await requireStatus(qc, id);
        if (s.state === 'running' || s.state === 'finalizing')
          throw new DistilleryError('CONFLICT', `job ${id} is ${s.state}`, {
            hint: `cancel it first: distillery jobs cancel ${id}`,
          });
        await qc.remove(id);
        console.log(`job ${id} removed`);
      });
    });
}

/** main.ts loads this module only when the command line names `jobs`. */
export { registerJobs as register };
