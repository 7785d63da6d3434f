#!/usr/bin/env node
/**
 * Compiles src/ to dist/ (one .js per .ts, same folders) so the CLI starts without transpiling; the other
 * files under src/ (worker .mjs, SQL migrations, dashboard assets) are copied, since code finds them next
 * to itself through import.meta.url. Run by `npm ci` (the prepare script) and `npm run build`.
 *
 * esbuild, not tsc: it is the compiler tsx runs the tests with (the same output semantics), and it comes
 * with tsx, a production dependency, so `npm ci --omit=dev` can build too. Type checking stays with
 * `npm run typecheck`. Bundle mode only so that a plugin can rewrite the `./x.ts` import specifiers to
 * `./x.js`; every import stays external, so each output file is its source file alone.
 *
 * The new tree is built beside dist/ and swapped in by rename, so a CLI starting meanwhile sees either
 * the old dist/, none (and runs the sources), or the new one; never a half-written one. Nothing to do
 * when dist/ is already fresh (scripts/dist-freshness.js), unless --force.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState, sourceSignature, STAMP_FILE, VENDORED, vendoredSignature } from './dist-freshness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src');
const distDir = path.join(root, 'dist');

async function main() {
  // The Docker image installs its dependencies before it copies the sources.
  if (!existsSync(srcDir)) {
    console.log('build-dist: no src/ yet, nothing to build');
    return;
  }
  if (!process.argv.includes('--force') && distState(root) === 'fresh') {
    console.log('build-dist: dist/ is up to date');
    return;
  }
  const started = performance.now();
  // Taken before compiling: an edit made during the build leaves dist/ stale, not wrongly fresh.
  const sources = sourceSignature(srcDir);
  const vendored = vendoredSignature(root);
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
  const tsFiles = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const otherFiles = files.filter((f) => !f.endsWith('.ts'));

  const staging = `${distDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: tsFiles,
    outdir: staging,
    outbase: srcDir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [relativeImportsStayExternal, vendoredImportsGoToVendor],
  });
  await bundleVendored(staging);
  for (const file of otherFiles) {
    const to = path.join(staging, path.relative(srcDir, file));
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(file, to);
  }
  writeFileSync(
    path.join(staging, STAMP_FILE),
    JSON.stringify({ sources, vendored, builtAt: new Date().toISOString() }) + '\n',
  );

  const old = `${distDir}.old-${process.pid}`;
  if (existsSync(distDir)) renameSync(distDir, old);
  renameSync(staging, distDir);
  rmSync(old, { recursive: true, force: true });
  const ms = performance.now() - started;
  console.log(`build-dist: ${tsFiles.length} modules compiled to dist/ in ${(ms / 1000).toFixed(1)} s`);
}

/** Keeps every relative import as an import of the compiled sibling: `./x.ts` -> `./x.js`. */
const relativeImportsStayExternal = {
  name: 'relative-imports-stay-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: args.path.replace(/\.ts$/, '.js'), external: true };
    });
  },
};

/**
 * zod is imported by a dozen modules on every path that validates a config or a recipe, and its package
 * entry loads 95 files, 64 of them the translations of its error messages (1.6 MB of the 2.5 MB it
 * parses), which distillery never selects: its messages are zod's English ones, which zod's schemas
 * register themselves. dist/vendor/zod.js is the same version of zod, from node_modules, bundled into one
 * file without the `z.locales` namespace; the built modules import it instead of `zod`. The sources
 * through tsx (and the tests) import zod itself; test/cli/built-cli.test.ts checks that both give the same
 * messages. dist/ counts as stale when the zod in node_modules is another version (dist-freshness.js).
 */
const vendoredImportsGoToVendor = {
  name: 'vendored-imports-go-to-vendor',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!VENDORED.includes(args.path) || args.kind === 'entry-point') return undefined;
      const to = path.relative(path.dirname(args.importer), path.join(srcDir, 'vendor', `${args.path}.js`));
      return { path: to.startsWith('.') ? to : `./${to}`, external: true };
    });
  },
};

async function bundleVendored(staging) {
  if (existsSync(path.join(srcDir, 'vendor'))) throw new Error('build-dist: src/vendor/ would clash with dist/vendor/');
  const { build } = await import('esbuild');
  for (const name of VENDORED)
    await build({
      stdin: { contents: `export * from '${name}';\nexport { default } from '${name}';\n`, resolveDir: root },
      outfile: path.join(staging, 'vendor', `${name}.js`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [withoutZodLocales],
    });
}

/**
 * `export * as locales from "../locales/index.js"` in classic/external.js (`z.locales`) and core/index.js
 * (`z.core.locales`): an empty namespace instead. English, the default, comes from locales/en.js, which
 * classic/schemas.js imports itself.
 */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'without-zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'without-zod-locales' }, () => ({ contents: 'export {};\n', loader: 'js' }));
  },
};

await main();
