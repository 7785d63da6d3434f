/**
 * A real redis-server (Debian's package) for tests and benches: its own temp dir, a free loopback port,
 * AOF on (appendfsync always), so a restart mid-job keeps the queue. Never a mock: the fault tests
 * kill and restart this process. Every wait here is bounded and fails with the server's own output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /**
   * Stop (SIGTERM, or SIGKILL with `hard`) and start again on the same port and data dir after `downMs`;
   * `whileDown` runs once the old server has exited.
   */
  restart(opts?: { hard?: boolean; downMs?: number; whileDown?: () => void }): Promise<void>;
  /** Stops the server and removes its dir; safe to call twice. */
  stop(): Promise<void>;
}

/** How long the server may take to start, or to stop, before the caller fails (CI can be loaded). */
const START_MS = 60_000;
const STOP_MS = 15_000;

/** Listens on `port` (0: any) for a moment; the port it got, or undefined if it was taken. */
async function tryPort(port: number): Promise<number | undefined> {
  return await new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : undefined));
    });
  });
}

/**
 * A free port below the kernel's ephemeral range: while the server is down for a restart, no outgoing
 * connection (of this or a parallel test file) and no `listen(0)` can be given its port, which would
 * keep the server from coming back on it.
 */
async function freePort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // not Linux: any free port
  }
  for (let i = 0; i < 100 && low > 11000; i++) {
    const port = await tryPort(10000 + Math.floor(Math.random() * (low - 11000)));
    if (port) return port;
  }
  const any = await tryPort(0);
  if (!any) throw new Error('no free loopback port for redis-server');
  return any;
}

async function ping(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.setTimeout(1000, () => done(false));
    c.once('error', () => done(false));
    c.once('connect', () => c.write('PING\r\n'));
    c.once('data', (d) => done(d.toString().startsWith('+PONG')));
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
  const end = Date.now() + START_MS;
  while (Date.now() < end) {
    if (gone) throw new Error(`redis-server exited at start on port ${port}:\n${p.log()}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  p.child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on port ${port} within ${START_MS / 1000} s:\n${p.log()}`);
}

/** Sends `signal`, then SIGKILL if the server has not exited within STOP_MS; fails if even that does not end it. */
async function halt(p: ReturnType<typeof launch>, signal: NodeJS.Signals): Promise<void> {
  const within = (ms: number) =>
    Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  if (await within(STOP_MS)) return;
  p.child.kill('SIGKILL');
  if (!(await within(STOP_MS))) throw new Error(`redis-server pid ${p.child.pid} did not exit:\n${p.log()}`);
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
    async restart({ hard = false, downMs = 0, whileDown } = {}) {
      await halt(proc, hard ? 'SIGKILL' : 'SIGTERM');
      whileDown?.();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      proc = launch(port, dir);
      await waitReady(port, proc);
    },
    stop: () =>
      (stopping ??= (async () => {
        try {
          await halt(proc, 'SIGTERM');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })()),
  };
}
