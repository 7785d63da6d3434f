/** Run the real `distillery` CLI as a child process. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/config.ts';
import { SeededRng } from '../../../src/core/seeded-rng.ts';

export const CLI = path.join(REPO_ROOT, 'bin/distillery.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** what the process has written so far */
  output(): { stdout: string; stderr: string };
}

export function startCli(args: string[], onStderrLine?: (line: string, child: ChildProcess) => void): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onStderrLine?.(line, child);
    }
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

export const runCli = (args: string[]): Promise<CliResult> => startCli(args).done;

/**
 * Runs the CLI with `args` (a `run`, given `--progress json` here) and kills it with SIGKILL at a
 * seeded-random moment, up to `maxDelayMs` after its progress first counts three chunks; the count it
 * had then. Fails if the run ended before the kill.
 */
export async function killAfterThirdChunk(args: string[], seed: string, maxDelayMs: number): Promise<number> {
  const delayMs = new SeededRng(seed).int(maxDelayMs);
  let killedAt = -1;
  const { done } = startCli([...args, '--progress', 'json'], (line, child) => {
    if (!line.startsWith('{')) return;
    const e = JSON.parse(line) as { type: string; chunks: number };
    if (killedAt < 0 && e.type === 'chunk' && e.chunks >= 3) {
      killedAt = e.chunks;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
  });
  const killed = await done;
  assert.equal(killed.signal, 'SIGKILL', `the run ended before it was killed: ${killed.stdout}`);
  return killedAt;
}
