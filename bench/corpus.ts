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

export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
