/**
 * What the job commands share: open the store and the teacher registry from the config, run a job with a
 * progress display, stop cleanly on Ctrl-C, and close everything on the way out.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import {
  makeAugmenterFactory,
  type JobSpec,
  resolveJob,
  progressPrinter,
  type ProgressListener,
  DatasetLock,
  startJob,
  type JobHandle,
  shardDatasetId,
  type JobResult,
} from '../jobs/index.ts';
import { openStore, type Store, checkStoreFile, isCorruption, recoveryHint } from '../store/index.ts';
import { loadCliContext, type CliContext } from './cli-context.ts';
import { exitBySignal } from './exit-now.ts';

export interface RuntimeOptions {
  config?: string;
  db?: string;
}

export interface Runtime extends CliContext {
  store: Store;
  close(): Promise<void>;
}

export async function openRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const ctx = await loadCliContext({
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.db ? { db: opts.db } : {}),
  });
  mkdirSync(path.dirname(ctx.config.db), { recursive: true });
  const store = openStore(ctx.config.db);
  let closing: Promise<void> | undefined;
  return {
    ...ctx,
    store,
    close: () =>
      (closing ??= (async () => {
        await ctx.registry.close();
        store.close();
      })()),
  };
}

export type ProgressMode = 'auto' | 'bar' | 'json' | 'none';

function listenerFor(mode: ProgressMode): ProgressListener | undefined {
  if (mode === 'none') return undefined;
  const err = process.stderr;
  if (mode === 'auto') return progressPrinter(err);
  const forced = Object.assign(Object.create(err) as NodeJS.WriteStream, { isTTY: mode === 'bar' });
  return progressPrinter(Object.assign(forced, { write: err.write.bind(err) }));
}

/**
 * Run a job to its end; the first Ctrl-C stops after the chunk in flight, a second one exits at once.
 * The dataset's lock is taken first, so a second process writing the same dataset fails before loading
 * any model.
 */
export async function runJobCommand(rt: Runtime, job: JobSpec, progress: ProgressMode): Promise<JobResult> {
  let handle: JobHandle | undefined;
  const lock = DatasetLock.acquire(rt.store, shardDatasetId(job.dataset, job.shard), {
    command: ['distillery', ...process.argv.slice(2)].join(' '),
    onLost: () => {
      process.stderr.write(
        '\ndistillery: another process took over the dataset lock (this one looked dead); stopping after the current chunk\n',
      );
      handle?.cancel();
    },
  });
  if (lock.tookOver) {
    const t = lock.tookOver;
    process.stderr.write(
      `distillery: took over the lock on dataset ${lock.dataset} left by pid ${t.pid} on ${t.host} (${t.command}), which is no longer running\n`,
    );
  }
  try {
    const opts = await resolveJob(job, {
      store: rt.store,
      teachers: rt.registry,
      augmenterFactory: makeAugmenterFactory({
        modelsDir: rt.config.modelsDir,
        compile: { lexicons: rt.config.lexicons, maxLexiconBytes: rt.config.limits.maxLexiconBytes },
      }),
    });
    handle = startJob(opts);
    const result = await followJob(handle, progress);
    // "up to date" was decided from the checkpoint rows alone: make sure the rows it vouches for are readable
    if (result.status === 'up-to-date') {
      const check = checkStoreFile(rt.config.db, { quick: true, maxProblems: 3 });
      if (!check.ok) throw damaged(rt.config.db, check.problems.join('; '));
    }
    return result;
  } catch (err) {
    if (isCorruption(err)) throw damaged(rt.config.db, err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    lock.release();
  }
}

const damaged = (db: string, reason: string) =>
  new DistilleryError('STORE_DAMAGED', `the store ${db} is damaged (${reason})`, { hint: recoveryHint(db) });

async function followJob(handle: JobHandle, progress: ProgressMode): Promise<JobResult> {
  const listener = listenerFor(progress);
  if (listener) handle.onProgress(listener);
  let interrupts = 0;
  const onSigint = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ndistillery: stopping after the current chunk (Ctrl-C again to quit now)\n');
      handle.cancel();
    } else {
      exitBySignal(signal);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await handle.done;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** One line for stdout describing how a job ended; sets a non-zero exit code when it was cancelled. */
export function reportResult(r: JobResult): void {
  if (r.status === 'up-to-date') {
    console.log(
      `dataset ${r.dataset} is up to date: ${r.examples} examples from ${r.records} records; nothing recomputed`,
    );
    return;
  }
  const resumed = r.resumed > 0 ? `, resumed after ${r.resumed} records` : '';
  const parts = [
    `${r.examples} examples from ${r.records} records${resumed}`,
    `teacher computed ${r.computed}, cache served ${r.cached}`,
    r.invalid > 0 ? `${r.invalid} invalid lines skipped` : '',
    r.duplicatesDropped > 0 ? `${r.duplicatesDropped} duplicate augmentations dropped` : '',
    r.augmentSkipped > 0 ? `${r.augmentSkipped} augmentation attempts skipped` : '',
    r.filteredOut > 0 ? `${r.filteredOut} augmentations dropped by teacher filters` : '',
    r.flagged > 0 ? `${r.flagged} flagged` : '',
    r.refused ? `${r.refused} rows refused by the teacher (kept with their reason, not exported)` : '',
  ].filter(Boolean);
  for (const e of r.refusedRows ?? []) console.log(`  refused ${e.id}: ${e.field}: ${e.message}`);
  if (r.status === 'cancelled') {
    console.log(
      `dataset ${r.dataset}: stopped after chunk ${r.chunks}; ${parts.join('; ')}. Run the same command to continue.`,
    );
    process.exitCode = 130;
    return;
  }
  console.log(`dataset ${r.dataset} done: ${parts.join('; ')}`);
}

export function requireFile(value: string | undefined, flag: string): string {
  if (!value) throw new DistilleryError('INVALID_INPUT', `${flag} is required`, { hint: 'see --help for an example' });
  return value;
}
