/**
 * Whether dist/ (the JavaScript built from src/ by scripts/build-dist.js) still matches src/.
 * The build records a signature of src/ (every file's path, size and modification time) in
 * dist/build-stamp.json; dist/ is fresh when src/ has the same signature now. An edit, a new or deleted
 * file, or a checkout of another branch changes it. Stat-ing ~200 files costs a few milliseconds, far
 * less than what running stale code would cost a user.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const STAMP_FILE = 'build-stamp.json';

/** sha256 over the sorted (path, size, mtime) of every file under `srcDir`; null when there is no src/. */
export function sourceSignature(srcDir) {
  let names;
  try {
    names = readdirSync(srcDir, { recursive: true, withFileTypes: true });
  } catch {
    return null;
  }
  const rows = [];
  for (const entry of names) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const st = statSync(file);
    rows.push(`${path.relative(srcDir, file)}\t${st.size}\t${st.mtimeMs}`);
  }
  rows.sort();
  return createHash('sha256').update(rows.join('\n')).digest('hex');
}

/** `fresh`, or why dist/ cannot be used: `missing` (never built) or `stale` (src/ changed since). */
export function distState(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, 'dist', STAMP_FILE), 'utf8'));
  } catch {
    return 'missing';
  }
  return stamp.sources === sourceSignature(path.join(root, 'src')) ? 'fresh' : 'stale';
}
