/** `distillery serve`: the HTTP API on embedded defaults, a config file, env vars and flags. */
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { DistilleryError } from '../../core/errors.ts';
import { exitBySignal } from '../exit-now.ts';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new DistilleryError('INVALID_INPUT', `--port must be an integer 0-65535, got "${v}"`);
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the HTTP API (soft labels, teachers, metrics, OpenAPI).')
    .option('--port <port>', 'port to listen on (0 = any free port; default 8080)', parsePort)
    .option('--host <host>', 'interface to bind (default 127.0.0.1; others need API keys)')
    .option('--db <file>', 'SQLite database file (default data/distillery.db)')
    .option('--config <file>', 'YAML or JSON config file (teachers, limits, batching, API keys)')
    .addHelpText(
      'after',
      `
Example:
  distillery serve --port 8080
  curl -s localhost:8080/v1/soft-labels -H 'content-type: application/json' \\
    -d '{"inputs": ["a warm, funny film", "dull and far too long"]}'`,
    )
    .action(async (opts: { port?: number; host?: string; db?: string; config?: string }) => {
      const config = loadConfig({ port: opts.port, host: opts.host, db: opts.db, configFile: opts.config });
      // Imported here: the HTTP stack (express and the routes) costs the other commands' start-up nothing.
      const { startService } = await import('../../service.ts');
      const service = await startService(config);
      const teachers = config.teachers
        .map((t) => `${t.name}: ${t.path ?? `hub:${t.hubId}`}, ${t.dtype}, ${t.device}`)
        .join('; ');
      process.stdout.write(`distillery listening on ${service.url} (teacher ${teachers})\n`);

      let signals = 0;
      const stop = (signal: NodeJS.Signals): void => {
        if (++signals > 1) {
          service.logger.warn({ signal }, 'second signal: exiting without waiting');
          exitBySignal(signal);
          return;
        }
        service.logger.info({ signal }, 'shutting down: finishing in-flight requests and job chunks');
        service.close().then(
          () => process.exit(0),
          (err: unknown) => {
            service.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

/** main.ts loads this module only when the command line names `serve`. */
export { registerServe as register };
