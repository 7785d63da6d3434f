/**
 * When bin/distillery.js may run dist/ instead of the sources: only while src/ is exactly as built, and
 * node_modules holds the version of each package bundled into dist/vendor/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
// @ts-expect-error plain JS module without types, shared by bin/distillery.js and the build
import { distState, sourceSignature, STAMP_FILE, vendoredSignature } from '../../scripts/dist-freshness.js';

function checkout(): string {
  const root = tempDir();
  mkdirSync(path.join(root, 'src/cli'), { recursive: true });
  writeFileSync(path.join(root, 'src/cli/main.ts'), 'export {};\n');
  writeFileSync(path.join(root, 'src/config.ts'), 'export const a = 1;\n');
  return root;
}

function stamp(root: string): void {
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  writeFileSync(
    path.join(root, 'dist', STAMP_FILE),
    JSON.stringify({ sources: sourceSignature(path.join(root, 'src')), vendored: vendoredSignature(root) }),
  );
}

test('no dist/ is missing; a build of the current sources is fresh', () => {
  const root = checkout();
  assert.equal(distState(root), 'missing');
  stamp(root);
  assert.equal(distState(root), 'fresh');
});

test('an edited, added or deleted source makes dist/ stale', () => {
  const root = checkout();
  stamp(root);
  const later = new Date(Date.now() + 5_000);
  utimesSync(path.join(root, 'src/config.ts'), later, later);
  assert.equal(distState(root), 'stale', 'touched');

  stamp(root);
  writeFileSync(path.join(root, 'src/cli/new.ts'), 'export {};\n');
  assert.equal(distState(root), 'stale', 'added');

  stamp(root);
  rmSync(path.join(root, 'src/cli/new.ts'));
  assert.equal(distState(root), 'stale', 'deleted');

  stamp(root);
  writeFileSync(path.join(root, 'src/config.ts'), 'export const a = 22;\n');
  assert.equal(distState(root), 'stale', 'same name, other size');
});

test('an unreadable stamp counts as missing, not fresh', () => {
  const root = checkout();
  mkdirSync(path.join(root, 'dist'));
  writeFileSync(path.join(root, 'dist', STAMP_FILE), '{ half a file');
  assert.equal(distState(root), 'missing');
});

test('another version of a bundled package in node_modules makes dist/ stale', () => {
  const root = checkout();
  const zod = (version: string) => {
    mkdirSync(path.join(root, 'node_modules/zod'), { recursive: true });
    writeFileSync(path.join(root, 'node_modules/zod/package.json'), JSON.stringify({ name: 'zod', version }));
  };
  zod('4.6.7');
  stamp(root);
  assert.equal(distState(root), 'fresh');
  zod('4.7.0');
  assert.equal(distState(root), 'stale', 'upgraded');
  rmSync(path.join(root, 'node_modules'), { recursive: true });
  assert.equal(distState(root), 'stale', 'removed');
});
