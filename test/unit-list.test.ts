/**
 * `npm run test:unit` promises tests with no model runs, no browser and no child processes. This checks the
 * list in package.json against the files (and the local helpers they import), so the promise stays true.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const REPO = path.resolve(import.meta.dirname, '..');
// What a test would import to run a model, drive a browser or start a process (the service, the CLI).
const HEAVY =
  /^(node:child_process|child_process|playwright-core|onnxruntime-node|@huggingface\/transformers)$|\/src\/(teacher\/(onnx-teacher|registry|fill-masker|translator|worker-session)|service|http\/app)\.ts$|\/helpers\/(cli|browser)\.ts$|\/http\/helpers\.ts$/;

/** The test file and the local test helpers it imports, with every import specifier of each. */
function imports(file: string, out = new Map<string, string[]>()): Map<string, string[]> {
  if (out.has(file)) return out;
  const specs = [...readFileSync(file, 'utf8').matchAll(/(?:from |import\()'([^']+)'/g)].map((m) => m[1]!);
  out.set(file, specs);
  for (const spec of specs) {
    const dep = path.resolve(path.dirname(file), spec);
    if (spec.startsWith('.') && dep.startsWith(path.join(REPO, 'test')) && existsSync(dep)) imports(dep, out);
  }
  return out;
}

test('test:unit lists existing test files that load no model, browser or child process', () => {
  const script = (
    JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts['test:unit']!;
  const files = script.split(/\s+/).filter((w) => w.endsWith('.test.ts'));
  assert.ok(files.length >= 10 && files.includes('test/unit-list.test.ts'), script);
  for (const f of files) {
    const full = path.join(REPO, f);
    assert.ok(existsSync(full), `${f} does not exist`);
    for (const [src, specs] of imports(full))
      for (const spec of specs) assert.ok(!HEAVY.test(spec), `${path.relative(REPO, src)} (in ${f}) imports ${spec}`);
  }
});
