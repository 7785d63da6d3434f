/** Starts `distillery serve` in a child process for the HTTP benchmarks (the load generator stays in this process). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { REPO_ROOT } from './corpus.ts';

export interface BenchServer {
  url: string;
  pid: number;
  rssMb(): number;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchServer(config: Record<string, unknown>): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'distillery-bench-http-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringify({ logLevel: 'warn', ...config }));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROF] : []),
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'src/cli/main.ts'),
      'serve',
      '--port',
      '0',
      '--db',
      path.join(dir, 'bench.db'),
      '--config',
      file,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^distillery listening on (\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid: child.pid!,
    rssMb() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : NaN;
    },
    async metrics() {
      return (await fetch(`${url}/metrics`)).text();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** mean of a Prometheus histogram series: sum / count */
export function histogramMean(metrics: string, name: string, teacher: string): number {
  const sum = Number(new RegExp(`^${name}_sum\\{teacher="${teacher}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
  const count = Number(new RegExp(`^${name}_count\\{teacher="${teacher}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
  return count > 0 ? sum / count : NaN;
}
