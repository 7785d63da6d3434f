/**
 * Whether dist/ (the JavaScript built from src/ by scripts/build-dist.js) still matches src/.
 * The build records a signature of src/ (every file's path, size and modification time) in
 * dist/build-stamp.json, with the version of each package bundled into dist/vendor/; dist/ is fresh when
 * src/ has the same signature now and node_modules the same versions. An edit, a new or deleted file, a
 * checkout of another branch, or another zod changes it. Stat-ing ~200 files costs a few milliseconds, far
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

/** Packages that scripts/build-dist.js bundles into dist/vendor/ (read there why). */
export const VENDORED = ['zod'];

/** `zod@4.6.7` for each vendored package as node_modules holds it now (`zod@none` when it is missing). */
export function vendoredSignature(root) {
  return VENDORED.map((name) => {
    try {
      return `${name}@${JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version}`;
    } catch {
      return `${name}@none`;
    }
  }).join(' ');
}

/**
 * `fresh`, or why dist/ cannot be used: `missing` (never built) or `stale` (src/ changed since, or
 * node_modules holds another version of a package bundled into dist/vendor/).
 */
export function distState(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, 'dist', STAMP_FILE), 'utf8'));
  } catch {
    return 'missing';
  }
  const same = stamp.sources === sourceSignature(path.join(root, 'src')) && stamp.vendored === vendoredSignature(root);
  return same ? 'fresh' : 'stale';
}
