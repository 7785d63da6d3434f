/**
 * `distillery run JOB.yaml --queue redis://...`: the job as a distributed flow on BullMQ. Prints the
 * job's chunk counts as they change (JSON lines on stderr) and one line at the end, like a plain run.
 */
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { JobSpec } from '../jobs/index.ts';
import { exportFromParts, loadQueueRuntime, partsLocation } from '../jobs/index.ts';
import type { DistributedStatus, FinalizeResult } from '../jobs/index.ts';
import type { CausalTeacher } from '../teacher/causal/causal-teacher.ts';
import type { ProgressMode, Runtime } from './job-runtime.ts';

export interface QueueRunOptions {
  queue: string;
  parts?: string;
  attempts: string;
  lockDuration?: string;
  /** finalize writes no store: the exports come straight from the parts */
  exportOnly?: boolean;
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

/** `--export-only`: the parts finalize checked, written as the job's exports (the store is not touched). */
async function exportQueueParts(job: JobSpec, id: string, partsDir: string, f: FinalizeResult): Promise<void> {
  const eo = f.exportOnly;
  if (!eo)
    throw new DistilleryError('INVALID_INPUT', `job ${id} was finalized into the store, not for --export-only`, {
      hint: 'its dataset is in the coordinator store: rerun without --export-only to export it from there',
    });
  const results = eo.parts.map((p) => ({
    ...p,
    examples: 0,
    computed: 0,
    cached: 0,
    teachers: eo.teachers,
    worker: 'finalize',
    seconds: 0,
  }));
  // the parts as a local directory: the shared one, or a checked copy of an s3:// prefix's
  const loc = partsLocation(partsDir);
  const x = await loc
    .local(results.map((r) => ({ name: r.part, sha256: r.sha256 })))
    .then((dir) => exportFromParts(job, dir, results, `distillery ${process.argv.slice(2).join(' ')}`))
    .finally(() => loc.close());
  for (const e of x.exports)
    console.log(`exported ${e.manifest.rows} rows of ${x.dataset} as ${e.manifest.format}: ${e.manifestPath}`);
}

/** The line a finished queued job ends with; a causal-LM job counts its rows. */
function doneLine(f: FinalizeResult, how: string, id: string, workers: number): string {
  const q = f.sequence;
  const made = q
    ? `${q.rows - q.refused} labelled rows of ${q.rows} (${q.refused} refused)`
    : `${f.examples} examples from ${f.records} records`;
  return f.status === 'up-to-date'
    ? `dataset ${f.dataset} is up to date: ${made}; nothing recomputed`
    : `dataset ${f.dataset} done (${how} job ${id}: ${f.chunks} chunks on ${workers} workers): ` +
        `${made}; teacher computed ${f.computed}, cache served ${f.cached}`;
}

/** `causal`: the job's causal-LM teacher (loaded by the caller), for a causal-LM job. */
export async function runOnQueue(
  rt: Runtime,
  job: JobSpec,
  jobFile: string,
  opts: QueueRunOptions,
  causal?: CausalTeacher,
): Promise<string> {
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
      ...(opts.exportOnly ? { finalize: 'exports' as const } : {}),
      signal: stop.signal,
      ...(causal ? { causal } : {}),
      onStatus: (s) => {
        if (opts.progress === 'none') return;
        const json = opts.progress === 'json' || (opts.progress === 'auto' && !process.stderr.isTTY);
        process.stderr.write(`${json ? JSON.stringify({ type: 'queue', ...s }) : statusLine(s)}\n`);
      },
    });
    const f = r.result;
    const how = r.attached ? 'attached to' : 'queued';
    const workers = r.status.workers.length;
    console.log(doneLine(r.upToDate ? { ...f, status: 'up-to-date' } : f, how, r.id, workers));
    if (opts.exportOnly) await exportQueueParts(job, r.id, r.partsDir, f);
    return f.dataset;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
