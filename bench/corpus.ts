/** Benchmark inputs: the public corpora beside the repo (../shared), never copied into it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DIR = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');

export function readJsonl<T = Record<string, unknown>>(relative: string): T[] {
  const file = path.join(SHARED_DIR, 'data/corpora', relative);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export const sst2Dev = (): { text: string; label: number }[] => readJsonl('sst2/dev.jsonl');

/**
 * Peak resident memory of this process. getrusage's maxRSS would carry the parent's peak across
 * exec on Linux, so read VmHWM instead.
 */
export function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024);
}
