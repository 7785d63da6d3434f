/**
 * Which modules a `distillery` process loads: a resolve hook, registered before the CLI starts, appends
 * every URL it resolves to a file. Start-up cost follows the modules parsed, so tests assert on these
 * lists instead of on wall-clock time. Works whether bin/distillery.js runs dist/ or, when dist/ is
 * stale, src/ through tsx.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'distillery.js');

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.DISTILLERY_TEST_MODULES_OUT, resolved.url + '\\n');
  return resolved;
}`;
const REGISTER = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

export interface LoadedModules {
  status: number | null;
  stdout: string;
  stderr: string;
  /** each resolved module once: a path relative to the repository (`dist/cli/main.js`), or `node:fs` */
  modules: string[];
}

export function modulesLoadedBy(args: readonly string[]): LoadedModules {
  const out = path.join(tempDir('distillery-modules-'), 'modules.txt');
  const r = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, BIN, ...args],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DISTILLERY_TEST_MODULES_OUT: out } },
  );
  let urls: string[] = [];
  try {
    urls = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  } catch {
    // no module resolved at all: the process failed before its first import, as its stderr says
  }
  const modules = [...new Set(urls)].map((u) =>
    u.startsWith('file:') ? path.relative(ROOT, fileURLToPath(u)).split(path.sep).join('/') : u,
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

/**
 * The source modules of src/ or dist/ under a folder (`cli/commands`) or that are one module
 * (`jobs/index`), root and extension stripped.
 */
export function sourceModulesUnder(modules: readonly string[], folder: string): string[] {
  const prefix = new RegExp(`^(?:src|dist)/${folder}(?:/|\\.(?:ts|js)$)`);
  return modules.filter((m) => prefix.test(m)).map((m) => m.replace(/^(?:src|dist)\//, '').replace(/\.(ts|js)$/, ''));
}
