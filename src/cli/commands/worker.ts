/** `distillery worker --queue URL`: label chunks of distributed jobs until stopped (docs/SCALE.md). */
import type { Command } from 'commander';
import pino from 'pino';
import { DistilleryError } from '../../core/errors.ts';
import { makeAugmenterFactory } from '../../jobs/index.ts';
import { loadQueueRuntime } from '../../jobs/index.ts';
import { exitBySignal } from '../exit-now.ts';
import { openRuntime } from '../job-runtime.ts';

interface WorkerOptions {
  queue: string;
  config?: string;
  db?: string;
  lockDuration?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'Take label-chunk jobs from a Redis queue (see `run --queue`) and write their parts; one per GPU or CPU socket. SIGTERM finishes the chunk in flight.',
    )
    .requiredOption('--queue <url>', 'Redis of the queue (redis://HOST:PORT)')
    .option('--config <file>', 'config file (YAML or JSON): teachers, models dir')
    .option('--db <file>', "this worker's local store: its cache of teacher outputs (default from the config)")
    .option(
      '--lock-duration <ms>',
      'how long a chunk stays locked without renewal before another worker may take it',
      '30000',
    )
    .action(async (opts: WorkerOptions) => {
      const lockDuration = Number(opts.lockDuration);
      if (!(Number.isInteger(lockDuration) && lockDuration >= 100))
        throw new DistilleryError(
          'INVALID_INPUT',
          `--lock-duration ${opts.lockDuration}: expected milliseconds >= 100`,
        );
      const { startChunkWorker, workerId } = await loadQueueRuntime();
      const rt = await openRuntime(opts);
      const log = pino({ base: { worker: workerId() } }, pino.destination(2));
      const w = startChunkWorker({
        url: opts.queue,
        store: rt.store,
        teachers: rt.registry,
        augmenterFactory: makeAugmenterFactory({ modelsDir: rt.config.modelsDir }),
        log,
        lockDuration,
        stalledInterval: Math.max(100, Math.floor(lockDuration / 2)),
      });
      log.info({ event: 'worker-start', queue: opts.queue }, 'worker started');
      await new Promise<void>((resolve) => {
        let signals = 0;
        const stop = (signal: NodeJS.Signals) => {
          if (++signals > 1) exitBySignal(signal);
          log.info({ event: 'worker-stop', signal }, 'finishing the chunk in flight');
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await w.close();
      await rt.close();
      log.info({ event: 'worker-exit' }, 'worker stopped');
    });
}

/** main.ts loads this module only when the command line names `worker`. */
export { registerWorker as register };
