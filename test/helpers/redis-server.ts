/**
 * A real redis-server (Debian's package) for tests and benches: its own temp dir, a free loopback port,
 * AOF on (appendfsync always), so a restart mid-job keeps the queue. Never a mock: the fault tests
 * kill and restart this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Stop (SIGTERM, or SIGKILL with `hard`) and start again on the same port and data dir. */
  restart(opts?: { hard?: boolean; downMs?: number }): Promise<void>;
  /** Stops the server and removes its dir; safe to call twice. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function ping(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('error', () => resolve(false));
    c.once('connect', () => c.write('PING\r\n'));
    c.once('data', (d) => {
      c.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

function launch(port: number, dir: string): { child: ChildProcess; exited: Promise<void>; log: () => string } {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--protected-mode',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, log: () => out };
}

async function waitReady(port: number, p: ReturnType<typeof launch>): Promise<void> {
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (let i = 0; i < 200; i++) {
    if (gone) throw new Error(`redis-server exited at start:\n${p.log()}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING on port ${port}:\n${p.log()}`);
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-redis-'));
  const port = await freePort();
  let proc = launch(port, dir);
  await waitReady(port, proc);
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async restart({ hard = false, downMs = 0 } = {}) {
      proc.child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await proc.exited;
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      proc = launch(port, dir);
      await waitReady(port, proc);
    },
    stop: () =>
      (stopping ??= (async () => {
        proc.child.kill('SIGTERM');
        await proc.exited;
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
