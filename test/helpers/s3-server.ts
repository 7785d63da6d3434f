/**
 * A real S3-protocol server for tests: s3rver (an S3-compatible server over the filesystem, a devDependency)
 * as its own child process on a free loopback port, with its own temp dir and one bucket, reached through
 * the AWS SDK over HTTP like any S3 endpoint. Never an in-process fake or a mock of the SDK. Every wait is
 * bounded and fails with the server's own output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface S3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  bucket: string;
  /** the variables a process needs to reach it: endpoint, region, s3rver's fixed credentials */
  env: Record<string, string>;
  /** Stops the server and removes its dir; safe to call twice. */
  stop(): Promise<void>;
}

const START_MS = 60_000;
const STOP_MS = 15_000;

export async function startS3(bucket = 'distillery'): Promise<S3Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-s3-'));
  const bin = path.join(
    path.dirname(createRequire(import.meta.url).resolve('s3rver/package.json')),
    'bin',
    's3rver.js',
  );
  // port 0: the server takes a free port and says which (no race with another test's listen)
  const child = spawn(
    process.execPath,
    [bin, '-d', path.join(dir, 'data'), '-a', '127.0.0.1', '-p', '0', '--configure-bucket', bucket],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start within ${START_MS / 1000} s:\n${out}`));
    }, START_MS);
    const look = () => {
      const m = /S3rver listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited at start:\n${out}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    stop: () =>
      (stopping ??= (async () => {
        try {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const ended = await Promise.race([
              exited.then(() => true),
              new Promise<boolean>((r) => setTimeout(() => r(false), STOP_MS).unref()),
            ]);
            if (!ended) child.kill('SIGKILL');
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })()),
  };
}
