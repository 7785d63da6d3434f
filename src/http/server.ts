/**
 * Listening and stopping. close() stops accepting connections, lets in-flight requests finish
 * (bounded by a grace period, after which remaining sockets are cut), and is safe to call twice.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { DistilleryError } from '../core/errors.ts';

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(
  app: Express,
  opts: { host: string; port: number; graceMs?: number },
): Promise<RunningServer> {
  const server = createServer(app);
  // Slow clients must not hold a socket forever; headers within 10 s, whole request within 60 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        reject(
          new DistilleryError('CONFIG_INVALID', `cannot listen on ${opts.host}:${opts.port} (${err.code})`, {
            cause: err,
            hint: 'pick another --port (0 = any free port) or --host',
          }),
        );
      } else reject(err);
    });
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${hostInUrl}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), opts.graceMs ?? 30_000);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        // Keep-alive sockets with no request in progress would otherwise hold close() open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
