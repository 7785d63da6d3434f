/** Starts the real service (real teacher, real HTTP on 127.0.0.1 port 0) for the HTTP tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, REPO_ROOT } from '../../src/config.ts';
import { startService, type Service } from '../../src/service.ts';

export const TINY = path.join(REPO_ROOT, 'models', 'tiny-bert-classifier');
export const TINY_TEACHER = { name: 'tiny', path: TINY };

export interface TestService {
  service: Service;
  url: string;
  dir: string;
  close(): Promise<void>;
}

export async function startTestService(
  patch: Record<string, unknown> = {},
  opts: { graceMs?: number; dir?: string } = {},
): Promise<TestService> {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'distillery-http-'));
  // An empty env: the tests never depend on the developer's DISTILLERY_* variables.
  const config = loadConfig(
    { port: 0, db: path.join(dir, 'test.db'), patch: { teachers: [TINY_TEACHER], logLevel: 'silent', ...patch } },
    {},
  );
  const service = await startService(config, {
    logger: pino({ level: 'silent' }),
    ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
  });
  return {
    service,
    url: service.url,
    dir,
    async close() {
      await service.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: { pointer: string; detail: string }[];
}

export async function problemOf(res: Response): Promise<ProblemBody> {
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(
      `expected application/problem+json, got ${res.headers.get('content-type')} (${res.status}): ${await res.text()}`,
    );
  }
  return (await res.json()) as ProblemBody;
}
